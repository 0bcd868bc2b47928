// Shared formatting of MLflow's values (epoch milliseconds).

export function dateTime(millis) {
  if (millis === undefined || millis === null || millis === '') return '';
  const d = new Date(Number(millis));
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** A file's size as people read it: 512 B, 3.4 kB, 1.2 MB. */
export function byteSize(bytes) {
  const n = Number(bytes);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** How long a run took (or has taken), from its info's start and end times. */
export function duration(info) {
  if (!info.start_time || !info.end_time) return '';
  const seconds = (Number(info.end_time) - Number(info.start_time)) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
