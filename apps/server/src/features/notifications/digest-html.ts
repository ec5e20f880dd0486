/** What the digest reports, gathered by services/digest.ts. */
export interface DigestData {
  generatedAt: Date;
  windowDays: number;
  totals: { certificates: number; expiringSoon: number; expired: number; failures: number; agentsOffline: number };
  expiring: { name: string; commonName: string; owner: string; team: string; expiresAt: Date; daysLeft: number }[];
  expired: { name: string; commonName: string; owner: string; team: string; expiresAt: Date }[];
  failures: { certificate: string; kind: string; error: string; at: Date }[];
  agentsOffline: { name: string; hostname: string; lastHeartbeatAt: Date | null }[];
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const day = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

function urgency(daysLeft: number): { color: string; label: string } {
  if (daysLeft <= 7) return { color: '#b42318', label: 'critical' };
  if (daysLeft <= 14) return { color: '#b54708', label: 'warning' };
  return { color: '#175cd3', label: 'soon' };
}

const ownerCell = (c: { owner: string; team: string }) =>
  `${escapeHtml(c.owner)}<br><span style="color:#667085">${escapeHtml(c.team)}</span>`;

function table(id: string, title: string, headers: string[], rows: string[][], empty: string): string {
  const head = headers
    .map(
      (h) =>
        `<th style="text-align:left;padding:8px 10px;border-bottom:2px solid #d0d5dd;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#475467">${escapeHtml(h)}</th>`,
    )
    .join('');
  const body =
    rows.length === 0
      ? `<tr><td colspan="${headers.length}" style="padding:10px;color:#667085;font-style:italic">${escapeHtml(empty)}</td></tr>`
      : rows
          .map(
            (cells) =>
              `<tr>${cells.map((c) => `<td style="padding:8px 10px;border-bottom:1px solid #eaecf0;vertical-align:top;overflow-wrap:anywhere">${c}</td>`).join('')}</tr>`,
          )
          .join('');
  return `<h2 style="font-size:16px;margin:28px 0 8px;color:#101828">${escapeHtml(title)}</h2>
<table id="${id}" role="table" cellspacing="0" cellpadding="0" style="width:100%;border-collapse:collapse;font-size:14px;background:#ffffff;border:1px solid #eaecf0">
<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function stat(id: string, label: string, value: number, color: string): string {
  return `<td class="stat" id="stat-${id}" style="width:20%;padding:12px;border:1px solid #eaecf0;background:#ffffff;text-align:center;vertical-align:top">
<div style="font-size:28px;font-weight:700;color:${color}">${value}</div><div style="font-size:12px;color:#475467;margin-top:4px">${escapeHtml(label)}</div></td>`;
}

/**
 * The digest as one self-contained HTML document: inline styles only, no scripts, images, fonts or
 * links to fetch, table layout so mail clients render it as browsers do. Every value from the
 * inventory is escaped.
 */
export function renderDigestHtml(data: DigestData): string {
  const t = data.totals;
  const expiringRows = data.expiring.map((c) => {
    const u = urgency(c.daysLeft);
    return [
      `<strong>${escapeHtml(c.name)}</strong><br><span style="color:#667085">${escapeHtml(c.commonName)}</span>`,
      ownerCell(c),
      escapeHtml(day(c.expiresAt)),
      `<span style="display:inline-block;padding:2px 8px;border-radius:10px;background:${u.color};color:#ffffff;font-size:12px;white-space:nowrap">${c.daysLeft} d</span><br><span style="font-size:11px;color:${u.color}">${u.label}</span>`,
    ];
  });
  const expiredRows = data.expired.map((c) => [
    `<strong>${escapeHtml(c.name)}</strong><br><span style="color:#667085">${escapeHtml(c.commonName)}</span>`,
    ownerCell(c),
    escapeHtml(day(c.expiresAt)),
  ]);
  const failureRows = data.failures.map((f) => [
    escapeHtml(f.certificate),
    escapeHtml(f.kind),
    escapeHtml(f.error.slice(0, 300)),
    escapeHtml(day(f.at)),
  ]);
  const agentRows = data.agentsOffline.map((a) => [
    escapeHtml(a.name),
    escapeHtml(a.hostname || '—'),
    escapeHtml(a.lastHeartbeatAt ? day(a.lastHeartbeatAt) : 'never'),
  ]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>certctl digest</title></head>
<body style="margin:0;padding:0;background:#f2f4f7;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#101828">
<div id="digest" style="max-width:760px;margin:0 auto;padding:24px 16px">
<h1 style="font-size:22px;margin:0 0 4px">Certificate digest</h1>
<p style="margin:0 0 20px;color:#475467;font-size:14px">${escapeHtml(day(data.generatedAt))} UTC · ${t.certificates} managed certificate(s) · expiring means within ${data.windowDays} days</p>
<table id="stats" cellspacing="8" cellpadding="0" style="width:100%;border-collapse:separate;table-layout:fixed"><tr>
${stat('certificates', 'certificates', t.certificates, '#101828')}${stat('expiring', 'expiring soon', t.expiringSoon, t.expiringSoon ? '#b54708' : '#027a48')}${stat('expired', 'expired', t.expired, t.expired ? '#b42318' : '#027a48')}${stat('failures', 'failures', t.failures, t.failures ? '#b42318' : '#027a48')}${stat('agents', 'agents offline', t.agentsOffline, t.agentsOffline ? '#b54708' : '#027a48')}
</tr></table>
${table('expiring', 'Expiring soon', ['Certificate', 'Owner / team', 'Expires (UTC)', 'Left'], expiringRows, 'Nothing expires in this window.')}
${table('expired', 'Expired', ['Certificate', 'Owner / team', 'Expired (UTC)'], expiredRows, 'No expired certificates.')}
${table('failures', 'Failures', ['Certificate', 'What', 'Error', 'When (UTC)'], failureRows, 'No failed renewals, deployments or notifications.')}
${table('agents', 'Agents offline', ['Agent', 'Host', 'Last heartbeat (UTC)'], agentRows, 'Every agent is reporting.')}
<p style="margin:28px 0 0;color:#98a2b3;font-size:12px">Sent by certctl. Alerts for single certificates follow each renewal policy's thresholds and channels.</p>
</div></body></html>`;
}
