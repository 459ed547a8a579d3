"""Function names of PromQL (Prometheus 2 and 3) and of VictoriaMetrics' MetricsQL."""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


AGGREGATIONS = _names("""
    sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio
""")
PROMQL = AGGREGATIONS | _names("""
    abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max
    clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv
    double_exponential_smoothing exp floor histogram_avg histogram_count histogram_fraction
    histogram_quantile histogram_stddev histogram_stdvar histogram_sum holt_winters hour idelta increase
    info irate label_join label_replace last_over_time ln log10 log2 mad_over_time max_over_time
    min_over_time minute month pi predict_linear present_over_time quantile_over_time rad rate resets round
    scalar sgn sin sinh sort sort_by_label sort_by_label_desc sort_desc sqrt stddev_over_time
    stdvar_over_time sum_over_time tan tanh time timestamp vector year start end ts_of_max_over_time
    ts_of_min_over_time ts_of_last_over_time first_over_time ts_of_first_over_time
""")
# Binary operators and modifiers spelled as words; ``by (...)``-style label lists.
KEYWORDS = _names("""
    and or unless bool offset atan2 inf nan group_left group_right on ignoring by without
""")
GROUPING = _names("by without on ignoring group_left group_right")
METRICSQL = PROMQL | _names("""
    aggr_over_time any ascent_over_time bitmap_and bitmap_or bitmap_xor bottomk_avg bottomk_last bottomk_max
    bottomk_median bottomk_min buckets_limit changes_prometheus count_eq_over_time count_gt_over_time
    count_le_over_time count_ne_over_time count_values_over_time decreases_over_time default_rollup
    delta_prometheus deriv_fast descent_over_time distinct distinct_over_time drop_common_labels
    drop_empty_series duration_over_time geomean geomean_over_time histogram histogram_over_time
    histogram_quantiles histogram_share hoeffding_bound_lower hoeffding_bound_upper ideriv
    increase_prometheus increase_pure increases_over_time integrate interpolate keep_last_value
    keep_next_value label_copy label_del label_graphite_group label_keep label_lowercase label_map
    label_match label_mismatch label_move label_set label_transform label_uppercase label_value labels_equal
    lag lifetime limit_offset mad median median_over_time mode mode_over_time now outlier_iqr_over_time
    outliers_iqr outliers_mad outliersk prometheus_buckets quantiles quantiles_over_time rand
    rand_exponential rand_normal range_avg range_first range_last range_linear_regression range_mad
    range_max range_min range_normalize range_over_time range_quantile range_stddev range_stdvar range_sum
    range_trim_outliers range_trim_spikes range_trim_zscore range_zscore rate_over_sum rate_prometheus
    remove_resets rollup rollup_candlestick rollup_delta rollup_deriv rollup_increase rollup_rate
    rollup_scrape_interval running_avg running_max running_min running_sum scrape_interval share
    share_eq_over_time share_gt_over_time share_le_over_time smooth_exponential sort_by_label_numeric
    sort_by_label_numeric_desc stale_samples_over_time step sum2 sum2_over_time sum_eq_over_time
    sum_gt_over_time sum_le_over_time tfirst_over_time timestamp_with_name timezone_offset
    tlast_change_over_time tlast_over_time tmax_over_time tmin_over_time topk_avg topk_last topk_max
    topk_median topk_min union with zscore zscore_over_time
""")
