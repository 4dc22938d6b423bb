/** The nodes' CloudWatch log group, per stack; the node role may write only here. */
export function nodeLogGroupName(stack: string): string {
    return `/wso2-apim-ha/${stack}/nodes`;
}
