import { stackLogGroupPrefix } from "./stackLogGroups";

/** The nodes' CloudWatch log group, per stack; the node role may write only here. */
export function nodeLogGroupName(stack: string): string {
    return `${stackLogGroupPrefix(stack)}/nodes`;
}

/** The Universal Gateways' CloudWatch log group, per stack; the gateway role may write only here. */
export function gatewayLogGroupName(stack: string): string {
    return `${stackLogGroupPrefix(stack)}/gateways`;
}
