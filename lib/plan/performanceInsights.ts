/**
 * RDS for MySQL offers Performance Insights (now part of CloudWatch Database Insights) on every instance
 * class except the two smallest burstable sizes of each generation (AWS, "DB engine, Region, and instance
 * class support for Database Insights").
 */
const UNSUPPORTED_CLASSES = new Set(["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"]);

export function performanceInsightsSupported(instanceClass: string): boolean {
    return !UNSUPPORTED_CLASSES.has(instanceClass);
}

/** Days of Performance Insights history: 7 is the free retention. */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;
