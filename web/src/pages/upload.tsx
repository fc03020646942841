import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorNote, Page, Stat } from '../components/ui';
import { formatBytes } from '../format';
import { useAction } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import type { Submission } from '../types';
import { filesFromDrop, TusUpload, type UploadProgress } from '../upload/tus-client';

interface Row {
  readonly id: number;
  readonly upload: TusUpload;
  progress: UploadProgress;
}

const CONCURRENCY = 3;

/**
 * Upload of a seizure: files, whole folders (their paths kept) and archives (expanded by the server), dropped or
 * chosen, each sent resumably with its own progress; the triage report fills in while they arrive.
 */
export function UploadPage() {
  const { t } = useTranslation();
  const [submission, setSubmission] = useState<Submission | null>(null);
  const [reference, setReference] = useState('');
  const [device, setDevice] = useState('');
  const [notes, setNotes] = useState('');
  const [rows, setRows] = useState<Row[]>([]);
  const [autoSeal, setAutoSeal] = useState(true);
  const [dragging, setDragging] = useState(false);
  const rowsRef = useRef<Row[]>([]);
  const nextId = useRef(1);
  const folderInput = useRef<HTMLInputElement>(null);
  const create = useAction();
  const seal = useAction();
  const { search } = useLocation();
  const continued = search.get('submission');

  // Continuing an open submission (after a reload, or from its report): dropping the same files again resumes
  // each transfer where the server left it.
  useEffect(() => {
    if (!continued || submission) return;
    void create.run(async () => {
      const { submission: s } = await api.get<{ submission: Submission }>(`/api/submissions/${Number(continued)}`);
      setSubmission(s);
    });
  }, [continued]);

  useEffect(() => {
    folderInput.current?.setAttribute('webkitdirectory', '');
    folderInput.current?.setAttribute('directory', '');
  }, [submission]);

  const refresh = () => setRows([...rowsRef.current]);

  const pump = () => {
    const running = rowsRef.current.filter((r) => r.progress.state === 'uploading').length;
    const waiting = rowsRef.current.filter((r) => r.progress.state === 'queued');
    for (const r of waiting.slice(0, Math.max(0, CONCURRENCY - running))) void r.upload.start().then(pump);
  };

  const add = (files: Array<{ file: File; path: string }>) => {
    if (!submission) return;
    for (const { file, path } of files) {
      const id = nextId.current++;
      const row: Row = {
        id,
        upload: new TusUpload(file, path, submission.id, (p) => {
          row.progress = p;
          refresh();
        }),
        progress: { state: 'queued', sent: 0, total: file.size, error: null, resumedFrom: 0 },
      };
      rowsRef.current.push(row);
    }
    refresh();
    pump();
  };

  const all = rows.length;
  const done = rows.filter((r) => r.progress.state === 'done').length;
  const failed = rows.filter((r) => r.progress.state === 'error').length;
  const sent = rows.reduce((s, r) => s + r.progress.sent, 0);
  const total = rows.reduce((s, r) => s + r.progress.total, 0);

  useEffect(() => {
    if (!submission || submission.status !== 'open' || !autoSeal || all === 0 || done !== all) return;
    void seal.run(async () => setSubmission(await api.post<Submission>(`/api/submissions/${submission.id}/seal`)));
  }, [done, all, autoSeal, submission]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    const created = await create.run(() => api.post<Submission>('/api/submissions', { reference, device, notes }));
    if (created) {
      setSubmission(created);
      navigate(`/upload?submission=${created.id}`, { replace: true });
    }
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    add(await filesFromDrop(e.dataTransfer));
  };

  const fromInput = (list: FileList | null) => {
    if (list) add([...list].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
  };

  return (
    <Page title={t('upload.title')} actions={submission ? <Link to={`/submissions/${submission.id}`} className="button">{t('upload.openReport')}</Link> : null}>
      {!submission && continued ? <ErrorNote error={create.error} /> : null}
      {!submission && !continued ? (
        <form className="form card narrow" onSubmit={start}>
          <p>{t('upload.intro')}</p>
          <label>
            {t('upload.reference')}
            <input name="reference" required maxLength={200} value={reference} onChange={(e) => setReference(e.target.value)} />
          </label>
          <label>
            {t('upload.device')}
            <input name="device" maxLength={200} value={device} onChange={(e) => setDevice(e.target.value)} />
          </label>
          <label>
            {t('upload.notes')}
            <textarea name="notes" maxLength={2000} value={notes} onChange={(e) => setNotes(e.target.value)} />
          </label>
          <ErrorNote error={create.error} />
          <button type="submit" disabled={create.busy}>
            {t('upload.start')}
          </button>
        </form>
      ) : !submission ? null : (
        <>
          <p>
            {t('upload.submission', { reference: submission.reference, id: submission.id })} · {t(`submission.status.${submission.status}`)}
          </p>
          {submission.status === 'open' ? (
            <div
              className={`dropzone${dragging ? ' dragging' : ''}`}
              onDragOver={(e) => {
                e.preventDefault();
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={(e) => void onDrop(e)}
              aria-label={t('upload.dropzone')}
              data-testid="dropzone"
            >
              <p>{t('upload.drop')}</p>
              <div className="row">
                <label className="button">
                  {t('upload.chooseFiles')}
                  <input type="file" multiple className="visually-hidden" data-testid="file-input" onChange={(e) => fromInput(e.target.files)} />
                </label>
                <label className="button">
                  {t('upload.chooseFolder')}
                  <input ref={folderInput} type="file" multiple className="visually-hidden" data-testid="folder-input" onChange={(e) => fromInput(e.target.files)} />
                </label>
              </div>
              <p className="muted small">{t('upload.archives')}</p>
            </div>
          ) : null}
          <div className="stats">
            <Stat label={t('upload.files')} value={`${done} / ${all}`} />
            <Stat label={t('upload.bytes')} value={`${formatBytes(sent)} / ${formatBytes(total)}`} />
            <Stat label={t('upload.failed')} value={failed} tone={failed ? 'warn' : undefined} />
          </div>
          <div className="row">
            <label className="check">
              <input type="checkbox" checked={autoSeal} onChange={(e) => setAutoSeal(e.target.checked)} />
              {t('upload.autoSeal')}
            </label>
            {submission.status === 'open' ? (
              <button type="button" className="secondary" disabled={seal.busy || done !== all} onClick={() => void seal.run(async () => setSubmission(await api.post<Submission>(`/api/submissions/${submission.id}/seal`)))}>
                {t('upload.seal')}
              </button>
            ) : null}
          </div>
          <ErrorNote error={seal.error} />
          <table className="table" aria-label={t('upload.files')}>
            <thead>
              <tr>
                <th scope="col">{t('upload.path')}</th>
                <th scope="col">{t('upload.size')}</th>
                <th scope="col">{t('upload.progress')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const pct = r.progress.total === 0 ? (r.progress.state === 'done' ? 100 : 0) : Math.floor((r.progress.sent / r.progress.total) * 100);
                return (
                  <tr key={r.id} data-state={r.progress.state}>
                    <td className="path">{r.upload.path}</td>
                    <td>{formatBytes(r.progress.total)}</td>
                    <td>
                      <progress max={100} value={pct} aria-label={t('upload.progressOf', { path: r.upload.path })} /> <span className="small">{t(`upload.state.${r.progress.state}`)} {pct}%</span>
                      {r.progress.resumedFrom > 0 ? <span className="small muted"> · {t('upload.resumed', { size: formatBytes(r.progress.resumedFrom) })}</span> : null}
                      {r.progress.error ? <span className="error small"> {r.progress.error}</span> : null}
                    </td>
                    <td>
                      {r.progress.state === 'uploading' ? (
                        <button type="button" className="secondary small" onClick={() => r.upload.pause()}>
                          {t('upload.pause')}
                        </button>
                      ) : r.progress.state === 'paused' || r.progress.state === 'error' ? (
                        <button type="button" className="secondary small" onClick={() => void r.upload.start().then(pump)}>
                          {t('upload.resume')}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </Page>
  );
}
