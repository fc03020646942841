import { describe, expect, it } from 'vitest';
import { reportToCsv } from '../../src/ingest/report-formats.js';
import type { ReportHit, SubmissionReport } from '../../src/ingest/report-service.js';

const hit = (over: Partial<ReportHit>): ReportHit => ({ signal: 'pdq', distance: 4, source: 'media', set: null, label: null, item: { id: 7, sha256: 'ab'.repeat(32), firstSeenAt: 1, countries: ['FR'] }, series: [], category: null, baseline: null, victimStatus: null, ...over });

function report(hits: ReportHit[][]): SubmissionReport {
  return {
    submission: { id: 1, userId: null, agencyId: null, countryCode: 'FR', actorName: 'op', reference: 'R', device: 'D', notes: '', status: 'complete', createdAt: 0, sealedAt: 0, completedAt: 0 },
    generatedAt: 0,
    totals: { files: hits.length, pending: 0, processed: hits.length, errors: 0, uniqueItems: hits.length, known: 0, new: 0, duplicates: 0, containers: 0 },
    items: hits.map((h, i) => ({ mediaId: i + 1, sha256: String(i).repeat(64), kind: 'image', mime: 'image/jpeg', status: h.length ? 'known' : 'new', paths: [`f${i}.jpg`], seenBefore: { submissions: 0, countries: [], firstSeenAt: null }, hits: h, assessment: null })),
    files: hits.map((_, i) => ({ path: `f${i}.jpg`, status: 'done', mediaId: i + 1, sha256: String(i).repeat(64), mime: 'image/jpeg', error: null })),
  };
}

describe('reportToCsv', () => {
  it("gives the best hit's series, victim status, category and baseline", () => {
    const csv = reportToCsv(
      report([
        [hit({ series: [{ id: 1, name: 'Blue room', identificationStatus: 'unidentified' }, { id: 2, name: 'Lake, "north"', identificationStatus: 'identified' }], victimStatus: 'identified', category: 1, baseline: true }), hit({ category: 5 })],
        [hit({ category: 0, baseline: false })],
        [],
      ]),
    );
    const lines = csv.split('\r\n');
    const header = lines[0].split(',');
    expect(header).toEqual(['path', 'file_status', 'sha256', 'mime', 'item_status', 'best_signal', 'best_distance', 'best_set', 'best_label', 'matched_item_sha256', 'best_series', 'best_series_status', 'best_category', 'best_baseline', 'seen_before_countries', 'error']);
    expect(lines[1]).toContain(`,${'ab'.repeat(32)},"Blue room; Lake, ""north""",identified,1,true,`);
    expect(lines[2]).toContain(`,${'ab'.repeat(32)},,,0,false,`);
    expect(lines[3]).toBe(`f2.jpg,done,${'2'.repeat(64)},image/jpeg,new,,,,,,,,,,,`);
    expect(lines[4]).toBe('');
  });
});
