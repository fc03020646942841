import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InvalidError } from '../../core/errors.js';
import type { NoticeSummary, NoticeView } from '../../notices/notice-service.js';
import type { NoticePhoto } from '../../notices/notice-photos.js';
import { ApiClient, type ApiClientOptions } from '../api-client.js';
import { print } from './users.js';

interface Conn extends ApiClientOptions {
  readonly json?: boolean;
}

/**
 * `ariadne notices list|show|create|update|request|publish|return|cancel|confirm-cancel|decline-cancel|photo`:
 * Green and Yellow Notices through the HTTP API under the caller's own API token (so the lifecycle rules and the
 * audit trail are the server's: nobody publishes their own draft, only the issuing country changes a notice).
 */
export function registerNoticesCommand(program: Command): void {
  const notices = program.command('notices').description('Green and Yellow Notices (through the API, with your API token)');
  const common = (c: Command) =>
    c
      .option('--server <url>', 'Ariadne server (else ARIADNE_SERVER)')
      .option('--token-file <file>', 'file holding your API token (else ARIADNE_TOKEN_FILE or ARIADNE_TOKEN)')
      .option('--json', 'print JSON');
  const client = (o: Conn) => new ApiClient(o);
  const show = (o: Conn, n: NoticeView): void => {
    if (o.json) print(n);
    else process.stdout.write(describe(n));
  };

  common(notices.command('list').description('notices you see, newest first'))
    .addOption(new Option('--kind <kind>').choices(['green', 'yellow']))
    .addOption(new Option('--status <status>').choices(['draft', 'requested', 'published', 'cancellation_requested', 'cancelled']))
    .option('--country <CC>', 'issuing country')
    .option('--search <text>', 'part of the subject\'s name or the reference')
    .option('--before <id>', 'the page after this id (the previous page\'s "next")', idArg)
    .option('--limit <n>', 'at most this many (1-200)', idArg)
    .action(async (o: Conn & { kind?: string; status?: string; country?: string; search?: string; before?: number; limit?: number }) => {
      const page = await client(o).get<{ notices: NoticeSummary[]; next: number | null }>('/api/notices', { kind: o.kind, status: o.status, country: o.country, q: o.search, before: o.before, limit: o.limit });
      if (o.json) return print(page);
      for (const n of page.notices) process.stdout.write(`${n.id}\t${n.reference}\t${n.kind}\t${n.status}\t${n.countryCode}\tv${n.version}\t${n.subjectName}${n.subjectStatus ? `\t${n.subjectStatus}` : ''}\n`);
      if (page.next !== null) process.stdout.write(`more: --before ${page.next}\n`);
    });

  common(notices.command('show').description('one notice').argument('<id>', 'notice id', idArg)).action(async (id: number, o: Conn) => show(o, await client(o).get<NoticeView>(`/api/notices/${id}`)));

  common(notices.command('create').description('draft a notice for your country'))
    .addOption(new Option('--kind <kind>', 'green (offender) or yellow (missing person)').choices(['green', 'yellow']).makeOptionMandatory())
    .requiredOption('--body <file>', 'the content as JSON (see docs/ARCHITECTURE.md, Notices)')
    .option('--contact-agency <id>', 'the contact unit (an agency of your country; default yours)', idArg)
    .action(async (o: Conn & { kind: string; body: string; contactAgency?: number }) => show(o, await client(o).post<NoticeView>('/api/notices', { kind: o.kind, body: readJson(o.body), contactAgencyId: o.contactAgency })));

  common(notices.command('update').description('change a draft or a published notice (a published one gets a new version)').argument('<id>', 'notice id', idArg))
    .option('--body <file>', 'the new content as JSON')
    .option('--contact-agency <id>', 'the contact unit', idArg)
    .addOption(new Option('--subject-status <status>', 'Yellow Notices').choices(['missing', 'located']))
    .action(async (id: number, o: Conn & { body?: string; contactAgency?: number; subjectStatus?: string }) =>
      show(o, await client(o).patch<NoticeView>(`/api/notices/${id}`, { body: o.body === undefined ? undefined : readJson(o.body), contactAgencyId: o.contactAgency, subjectStatus: o.subjectStatus })),
    );

  for (const [name, path, description] of [
    ['request', 'request', 'ask a global admin to publish your draft'],
    ['publish', 'publish', 'publish a requested notice (global admins; never your own)'],
    ['confirm-cancel', 'cancellation/confirm', 'confirm a requested cancellation (global admins)'],
  ] as const) {
    common(notices.command(name).description(description).argument('<id>', 'notice id', idArg)).action(async (id: number, o: Conn) => show(o, await client(o).post<NoticeView>(`/api/notices/${id}/${path}`)));
  }
  for (const [name, path, description] of [
    ['return', 'return', 'return a requested notice with reasons (global admins)'],
    ['decline-cancel', 'cancellation/decline', 'decline a requested cancellation with reasons (global admins)'],
  ] as const) {
    common(notices.command(name).description(description).argument('<id>', 'notice id', idArg))
      .requiredOption('--reason <text>', 'a reason (repeat for several)', (v: string, acc: string[] = []) => [...acc, v])
      .action(async (id: number, o: Conn & { reason: string[] }) => show(o, await client(o).post<NoticeView>(`/api/notices/${id}/${path}`, { reasons: o.reason })));
  }
  common(notices.command('cancel').description('ask to cancel (a draft is withdrawn at once)').argument('<id>', 'notice id', idArg))
    .requiredOption('--reason <text>', 'why')
    .action(async (id: number, o: Conn & { reason: string }) => show(o, await client(o).post<NoticeView>(`/api/notices/${id}/cancellation`, { reason: o.reason })));

  common(notices.command('photo').description('add a photo of the subject (stored encrypted, hashed like any media)').argument('<id>', 'notice id', idArg).argument('<file>', 'image file'))
    .option('--caption <text>', 'caption')
    .action(async (id: number, file: string, o: Conn & { caption?: string }) => {
      const photo = await client(o).upload<NoticePhoto>(`/api/notices/${id}/photos${o.caption ? `?caption=${encodeURIComponent(o.caption)}` : ''}`, file);
      if (o.json) return print(photo);
      process.stdout.write(`photo ${photo.id} (${photo.fileName}) added: ${photo.sha256 ?? ''} ${photo.status}\n`);
    });
}

function describe(n: NoticeView): string {
  const lines = [
    `${n.reference} (${n.kind === 'green' ? 'Green' : 'Yellow'} Notice, id ${n.id}) ${n.status}, version ${n.version}, ${n.countryCode}, contact ${n.contactAgency.name}`,
    `subject: ${n.subjectName}${n.subjectStatus ? ` (${n.subjectStatus})` : ''}`,
  ];
  if (n.returnReasons) lines.push(`returned: ${n.returnReasons.join('; ')}`);
  if (n.cancelReason) lines.push(`cancellation: ${n.cancelReason}`);
  if (n.links.length > 0) lines.push(`links: ${n.links.map((l) => `${l.kind} ${l.targetId}`).join(', ')}`);
  if (n.photos.length > 0) lines.push(`photos: ${n.photos.map((p) => `${p.id}${p.mediaId ? ` (media ${p.mediaId})` : ` (${p.status})`}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function idArg(value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw new InvalidError(`"${value}" is not a positive whole number`);
  return Number(value);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new InvalidError(`${file}: not a JSON file (${(error as Error).message})`);
  }
}
