import { cpus, totalmem } from "node:os";

/** What the figures were measured on: they mean little without it. */
export function machineDescription(now: Date = new Date()): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() || "unknown CPU";
  return [
    `- machine: ${model}, ${cores.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}`,
    `- Node ${process.version}`,
    `- date: ${now.toISOString().slice(0, 16).replace("T", " ")} UTC`,
  ].join("\n");
}
