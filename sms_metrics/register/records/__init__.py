"""The record framework: a record kind is a declaration (``RecordKind``); from it come the service
functions (``Records``), the HTTP routes (``api.kind_router``) and the CLI group (``cli.kind_group``)."""
