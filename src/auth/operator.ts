import { availableParallelism, userInfo } from 'node:os';
import { loadConfig } from '../config.js';
import { createContainer, type Container } from '../container.js';
import { createLogger } from '../logger.js';
import { contextFor, inTransaction, systemActor, type SystemActor, type TxContext } from './actor.js';

/** The command-line operator: the OS account running `ariadne`, recorded as `system:cli:<name>` in the audit trail. */
export function operatorActor(): SystemActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (containers): keep "unknown".
  }
  return systemActor(`cli:${name}`);
}

/**
 * Opens the configured installation (same ARIADNE_* settings as the server), runs `fn` as the operator in one
 * transaction, and closes everything again.
 */
export async function runAsOperator<T>(fn: (ctx: TxContext, container: Container) => Promise<T>): Promise<T> {
  const container = await openForCli();
  try {
    return await inTransaction(container.database.db, contextFor(operatorActor()), (ctx) => fn(ctx, container));
  } finally {
    await container.close();
  }
}

/** The container for a one-shot command: no HTTP, no job runner, only errors logged. */
export async function openForCli(): Promise<Container> {
  const config = loadConfig({ cpuCount: availableParallelism() });
  return createContainer(config, { role: 'api', logger: createLogger('error') });
}
