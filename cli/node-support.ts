/**
 * Keygate's Node policy, as the `keygate` command applies it (docs/keygate-command.md#node-versions):
 * Node 20 still runs it, but Node 20 reached its end of life in April 2026 and AWS SDK for
 * JavaScript releases published after the first week of January 2027 require Node 22. On Node 20
 * the command says so in one line of its own, and keeps the SDK's nine-line warning, which says
 * the same, from being printed too.
 */

/** The oldest Node major that AWS SDK releases from January 2027 on support (the SDK's own warning says so). */
export const SDK_NODE_MAJOR_FROM_2027 = 22;

/** The variable with which the SDK's Node-version warning is turned off; set to "true" by the operator, it silences Keygate's line too. */
export const SDK_NODE_WARNING_DISABLED = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** The one line to print on this Node (`process.version`, such as "v20.19.0"), or undefined when there is nothing to say. */
export function nodeSupportNotice(nodeVersion: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(nodeVersion)?.[1]);
  if (!Number.isInteger(major) || major >= SDK_NODE_MAJOR_FROM_2027 || env[SDK_NODE_WARNING_DISABLED] === "true") return undefined;
  return `keygate: Node ${nodeVersion} is past its end of life; AWS SDK releases from January 2027 need Node ${SDK_NODE_MAJOR_FROM_2027} or newer: use Node 22 or 24`;
}
