import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/**
 * `node exchange-generate.js FILE N`: writes the exchange benchmark's VICS 2.0 `#Media` file of N entries (MD5, SHA-1,
 * category, flags, series, one MediaFiles entry each). The benchmark runs it as a child process, so the import is
 * measured in a process that did nothing else first.
 */
export async function generate(path: string, entries: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('\ufeff{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Media","value":[\n');
  const parts: string[] = [];
  for (let i = 0; i < entries; i++) {
    const seed = `bench-${i}`;
    const md5 = createHash('md5').update(seed).digest('hex').toUpperCase();
    const sha1 = createHash('sha1').update(seed).digest('hex').toUpperCase();
    parts.push(
      `${i === 0 ? '' : ',\n'}{"MediaID":${i + 1},"Category":${i % 6},"MD5":"${md5}","SHA1":"${sha1}","MediaSize":${1000 + i},"VictimIdentified":${i % 2 === 0 ? '"true"' : 'false'},"OffenderIdentified":false,"IsDistributed":true,"Series":"Series ${i % 1000}","MediaFiles":[{"FileName":"f${i}.jpg","FilePath":"E:/seized/${i % 100}/"}]}`,
    );
    if (parts.length === 10_000) await write(parts.splice(0).join(''));
  }
  await write(`${parts.join('')}\n]}\n`);
  out.end();
  await finished(out);
}


const [file, count] = process.argv.slice(2);
if (file === undefined || !/^[1-9][0-9]*$/.test(count ?? '')) {
  process.stderr.write('usage: exchange-generate.js FILE ENTRIES\n');
  process.exit(64);
}
await generate(file, Number(count));
