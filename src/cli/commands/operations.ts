import type { Command } from 'commander';
import type { OperationMessage, OperationTask } from '../../operations/operation-board.js';
import type { OperationSummary, OperationView } from '../../operations/operation-service.js';
import { ApiClient, type ApiClientOptions } from '../api-client.js';
import { idArg } from './notices.js';
import { print } from './users.js';

interface Conn extends ApiClientOptions {
  readonly json?: boolean;
}

/** `ariadne operations list|show|create|participant|share|post|messages|task|tasks`: joint operations through the API. */
export function registerOperationsCommand(program: Command): void {
  const ops = program.command('operations').description('joint operations (through the API, with your API token)');
  const common = (c: Command) =>
    c
      .option('--server <url>', 'Ariadne server (else ARIADNE_SERVER)')
      .option('--token-file <file>', 'file holding your API token (else ARIADNE_TOKEN_FILE or ARIADNE_TOKEN)')
      .option('--json', 'print JSON');
  const client = (o: Conn) => new ApiClient(o);
  const show = (o: Conn, v: OperationView): void => {
    if (o.json) print(v);
    else process.stdout.write(describe(v));
  };

  common(ops.command('list').description('operations your country takes part in'))
    .option('--before <id>', 'the page after this id', idArg)
    .action(async (o: Conn & { before?: number }) => {
      const page = await client(o).get<{ operations: OperationSummary[]; next: number | null }>('/api/operations', { before: o.before });
      if (o.json) return print(page);
      for (const op of page.operations) process.stdout.write(`${op.id}\t${op.name}\t${op.status}\tcoordinated by ${op.coordinatorCountry}\n`);
      if (page.next !== null) process.stdout.write(`more: --before ${page.next}\n`);
    });
  common(ops.command('show').argument('<id>', 'operation id', idArg)).action(async (id: number, o: Conn) => show(o, await client(o).get<OperationView>(`/api/operations/${id}`)));
  common(ops.command('create').description('start an operation coordinated by your country'))
    .requiredOption('--name <name>', 'name')
    .option('--description <text>', 'description')
    .action(async (o: Conn & { name: string; description?: string }) => show(o, await client(o).post<OperationView>('/api/operations', { name: o.name, description: o.description })));
  common(ops.command('participant').description('add a participating country with its contact (coordinating country)').argument('<id>', 'operation id', idArg).argument('<country>', 'ISO country code'))
    .requiredOption('--contact <userId>', 'the contact user of that country', idArg)
    .action(async (id: number, country: string, o: Conn & { contact: number }) => show(o, await client(o).put<OperationView>(`/api/operations/${id}/participants/${encodeURIComponent(country)}`, { contactUserId: o.contact })));
  common(ops.command('share').description('share an investigation you are a member of, or a published notice').argument('<id>', 'operation id', idArg))
    .option('--investigation <id>', 'investigation id', idArg)
    .option('--notice <id>', 'notice id', idArg)
    .action(async (id: number, o: Conn & { investigation?: number; notice?: number }) => {
      const item = o.investigation !== undefined ? { kind: 'investigation', targetId: o.investigation } : { kind: 'notice', targetId: o.notice };
      show(o, await client(o).post<OperationView>(`/api/operations/${id}/items`, item));
    });
  common(ops.command('post').description('post to the message board').argument('<id>', 'operation id', idArg).argument('<text>', 'the message')).action(async (id: number, text: string, o: Conn) => {
    const m = await client(o).post<OperationMessage>(`/api/operations/${id}/messages`, { body: text });
    if (o.json) return print(m);
    process.stdout.write(`message ${m.id} posted\n`);
  });
  common(ops.command('messages').description('the message board, newest first').argument('<id>', 'operation id', idArg)).action(async (id: number, o: Conn) => {
    const page = await client(o).get<{ messages: OperationMessage[]; next: number | null }>(`/api/operations/${id}/messages`);
    if (o.json) return print(page);
    for (const m of page.messages) process.stdout.write(`${new Date(m.createdAt).toISOString()}\t${m.countryCode}/${m.author.username}\t${m.body}\n`);
  });
  common(ops.command('task').description('add a task').argument('<id>', 'operation id', idArg))
    .requiredOption('--title <text>', 'title')
    .requiredOption('--owner <userId>', 'owner (a user of a participating country)', idArg)
    .option('--due <date>', 'due date, ISO 8601')
    .action(async (id: number, o: Conn & { title: string; owner: number; due?: string }) => {
      const due = o.due === undefined ? undefined : Date.parse(o.due);
      const t = await client(o).post<OperationTask>(`/api/operations/${id}/tasks`, { title: o.title, ownerId: o.owner, dueAt: due });
      if (o.json) return print(t);
      process.stdout.write(`task ${t.id} for ${t.owner.username}\n`);
    });
  common(ops.command('tasks').description('tasks').argument('<id>', 'operation id', idArg)).action(async (id: number, o: Conn) => {
    const { tasks } = await client(o).get<{ tasks: OperationTask[]; next: number | null }>(`/api/operations/${id}/tasks`, { limit: 500 });
    if (o.json) return print(tasks);
    for (const t of tasks) process.stdout.write(`${t.id}\t${t.status}\t${t.owner.countryCode}/${t.owner.username}\t${t.dueAt ? new Date(t.dueAt).toISOString().slice(0, 10) : '-'}\t${t.title}\n`);
  });
}

function describe(v: OperationView): string {
  const lines = [`${v.name} (operation ${v.id}) ${v.status}, coordinated by ${v.coordinatorCountry}; you: ${v.myRole}`];
  for (const p of v.participants) lines.push(`  ${p.countryCode}\t${p.role}\tcontact ${p.contact.username}`);
  for (const i of v.items) lines.push(`  shared ${i.kind} ${i.targetId}\t${i.title}\tby ${i.sharedCountry}`);
  return `${lines.join('\n')}\n`;
}
