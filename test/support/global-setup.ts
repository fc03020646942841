import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres, type PostgresServer } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server started for this run, or '' when PostgreSQL is not installed. */
    pgUrl: string;
  }
}

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    project.provide('pgUrl', '');
    return;
  }
  server = await startPostgres(bin);
  project.provide('pgUrl', server.url);
}

export async function teardown(): Promise<void> {
  server?.stop();
}
