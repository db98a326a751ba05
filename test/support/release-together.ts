import type { HeldCalls } from "../../local/held-calls";

/**
 * Waits until `count` calls are held, then lets them all go on at once. Fails at once, instead of
 * waiting for the test's timeout, when `work` is done before that many calls arrived: then the race
 * the test meant to stage never formed.
 */
export async function releaseTogether(held: HeldCalls, count: number, work: Promise<unknown>): Promise<void> {
  const first = await Promise.race([
    held.arrived(count).then(() => "held" as const),
    work.then(
      () => "done" as const,
      () => "done" as const,
    ),
  ]);
  held.release();
  if (first === "done") throw new Error(`the work was over with ${held.held} of ${count} calls held: the race never formed`);
}
