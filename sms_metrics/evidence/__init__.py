"""The auditor's evidence pack of a service and a period."""
