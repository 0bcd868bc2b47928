// Shared formatting of MLflow's values (epoch milliseconds).

export function dateTime(millis) {
  if (millis === undefined || millis === null || millis === '') return '';
  const d = new Date(Number(millis));
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}
