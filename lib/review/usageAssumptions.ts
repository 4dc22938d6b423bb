/**
 * What the cost estimate assumes where the render cannot know (traffic, stored data). Stated in the
 * cost report next to the total; change them here.
 */
export interface UsageAssumptions {
    /** AWS's monthly convention for hourly prices. */
    readonly hoursPerMonth: number;
    /** Data each NAT gateway processes a month: OS packages, the API-M pack and JDBC driver at each boot, AWS API calls, logs. */
    readonly natGbPerGatewayMonth: number;
    /** Average load-balancer capacity units a quiet cluster uses each hour. */
    readonly albAverageLcu: number;
    /** Public IPv4 addresses an internet-facing ALB holds: one per subnet (zone) it spans. */
    readonly albPublicIpsPerSubnet: number;
    /** Data on the EFS share (deployed artifacts: small). */
    readonly efsStoredGb: number;
    /** Log data each CloudWatch log group ingests a month. */
    readonly logIngestGbPerGroupMonth: number;
    /** Retention assumed for a log group that never expires its events. */
    readonly neverExpireRetentionDays: number;
    /** Metrics EC2 detailed monitoring publishes per instance. */
    readonly detailedMonitoringMetricsPerInstance: number;
    /** Data the database holds, and the share of it changed each day (drives backup storage). */
    readonly databaseDataGb: number;
    readonly databaseDailyChangeRatio: number;
    /** Data each interface endpoint processes a month. */
    readonly endpointGbMonth: number;
    /** Access logs kept in an S3 bucket. */
    readonly s3StoredGbPerBucket: number;
}

export const USAGE_ASSUMPTIONS: UsageAssumptions = {
    hoursPerMonth: 730,
    natGbPerGatewayMonth: 20,
    albAverageLcu: 1,
    albPublicIpsPerSubnet: 1,
    efsStoredGb: 1,
    logIngestGbPerGroupMonth: 2,
    neverExpireRetentionDays: 365,
    detailedMonitoringMetricsPerInstance: 7,
    databaseDataGb: 5,
    databaseDailyChangeRatio: 0.1,
    endpointGbMonth: 5,
    s3StoredGbPerBucket: 5,
};
