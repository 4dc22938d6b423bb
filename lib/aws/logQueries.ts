import { LOG_STREAMS } from "../node/logShipping";

/**
 * CloudWatch Logs Insights queries over the nodes' log group (streams `<node>/<instance id>/<log>`, see
 * lib/node/logShipping.ts). The regular expressions are exported so the tests run them against the lines
 * the boot script and WSO2 really write; Logs Insights reads the same syntax.
 */

/** `<node>/<instance id>/…` of a stream name. */
export const STREAM_NODE_REGEX = "^(?<node>[^/]+)/(?<instance>[^/]+)/";
/** A boot-script line: `2026-01-31T12:00:00Z wso2am-bootstrap [<step>] <text>`. */
export const BOOT_LINE_REGEX = "wso2am-bootstrap \\[(?<step>[a-z]+)\\] (?<event>.*)";
/** A boot step's failure: `… wso2am-bootstrap [<step>] FAILED: <reason>`. */
export const BOOT_FAILURE_REGEX = "wso2am-bootstrap \\[(?<step>[a-z]+)\\] FAILED: (?<reason>.*)";
/** First line of an ERROR record in wso2carbon.log (`TID: [..] [..] [time] ERROR {logger} - …`) or the gateway error log (`time [..] [..] ERROR {logger} …`). */
export const WSO2_ERROR_REGEX = "^(?:TID: (?:\\[[^\\]]*\\] )+|\\d{4}-\\d{2}-\\d{2}\\S* (?:\\[[^\\]]*\\] )+)\\s*ERROR \\{(?<logger>[^}]+)\\}";

/** The same without its capture, for `filter … like`. */
const WSO2_ERROR_FILTER = WSO2_ERROR_REGEX.replace("(?<logger>", "(?:");
/**
 * A servlet access-log line (`%h %l %u %t %r %s …`; WSO2 writes the request line unquoted, Tomcat's
 * stock pattern quotes it): client, method, path and status.
 */
export const ACCESS_LINE_REGEX = '^(?<client>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "?(?<method>[A-Z]+) (?<path>\\S+) HTTP/[0-9.]+"? (?<status>\\d{3}) ';

/** Logs Insights writes a regular expression between slashes; a slash inside it is escaped. */
function re(source: string): string {
    return `/${source.replace(/\//g, "\\/")}/`;
}

const streamEndsWith = (...streams: string[]) => `@logStream like ${re(`/(${streams.join("|")})$`)}`;

export interface SavedQuery {
    /** Short key for resource names. */
    readonly key: string;
    /** Shown in the console's saved-queries list; "/" makes folders. */
    readonly title: string;
    readonly queryString: string;
    /** What it answers, for the README and the definition's reader. */
    readonly answers: string;
}

/** Each boot that failed: node, instance, step and the reason the script gave. */
export const BOOT_FAILURES_QUERY = [
    "fields @timestamp, @logStream, @message",
    `| filter ${streamEndsWith(LOG_STREAMS.boot)} and @message like ${re("wso2am-bootstrap \\[[a-z]+\\] FAILED: ")}`,
    `| parse @logStream ${re(STREAM_NODE_REGEX)}`,
    `| parse @message ${re(BOOT_FAILURE_REGEX)}`,
    "| display @timestamp, node, instance, step, reason",
    "| sort @timestamp desc",
].join("\n");

/** The last boot-script line of every instance: a boot that stopped shows its step and `FAILED: …`. */
export const LAST_BOOT_QUERY = [
    `filter ${streamEndsWith(LOG_STREAMS.boot)} and @message like ${re("wso2am-bootstrap \\[")}`,
    `| parse @logStream ${re(STREAM_NODE_REGEX)}`,
    `| parse @message ${re(BOOT_LINE_REGEX)}`,
    "| stats max(@timestamp) as lastLine, latest(step) as lastStep, latest(event) as lastEvent by node, instance",
    "| sort lastLine desc",
].join("\n");

/** ERROR records of the server and gateway logs, counted by node and logger, with the latest of each. */
export const WSO2_ERRORS_QUERY = [
    "fields @timestamp, @logStream, @message",
    `| filter ${streamEndsWith(LOG_STREAMS.carbon, LOG_STREAMS.gatewayErrors)} and @message like ${re(WSO2_ERROR_FILTER)}`,
    `| parse @logStream ${re(STREAM_NODE_REGEX)}`,
    `| parse @message ${re(WSO2_ERROR_REGEX)}`,
    "| stats count(*) as errors, latest(@message) as latestError by node, logger",
    "| sort errors desc",
].join("\n");

/** 5xx responses of the servlet transport (portals, REST APIs, token endpoint), by node, status and path. */
export const ACCESS_5XX_QUERY = [
    "fields @timestamp, @logStream, @message",
    `| filter ${streamEndsWith(LOG_STREAMS.httpAccess)}`,
    `| parse @logStream ${re(STREAM_NODE_REGEX)}`,
    `| parse @message ${re(ACCESS_LINE_REGEX)}`,
    `| filter status like ${re("^5")}`,
    "| stats count(*) as responses, max(@timestamp) as last by node, status, method, path",
    "| sort responses desc",
].join("\n");

/** The saved queries of a stack, in the order an operator reaches for them. */
export function savedQueries(stackLabel: string): SavedQuery[] {
    const title = (what: string) => `${stackLabel}/${what}`;
    return [
        {
            key: "boot-failures",
            title: title("Which boot step failed on which node"),
            queryString: BOOT_FAILURES_QUERY,
            answers: "every failed boot: node, instance, the step and the reason the boot script logged",
        },
        {
            key: "wso2-errors",
            title: title("WSO2 ERROR lines by node (run over the last hour)"),
            queryString: WSO2_ERRORS_QUERY,
            answers: "ERROR records of wso2carbon.log and the gateway error log, counted by node and logger, with the latest message",
        },
        {
            key: "access-5xx",
            title: title("5xx responses in the servlet access log"),
            queryString: ACCESS_5XX_QUERY,
            answers: "5xx answers of the portals, REST APIs and token endpoint (port 9443), by node, status and path; gateway API calls are not in this log",
        },
    ];
}
