/** What became of the spans or data points of one request (for stats and partial_success). */
export interface IngestSummary {
  accepted: number;
  duplicate: number;
  rejected: number;
  ignored: number;
  /** The first few rejection reasons. */
  errors: string[];
}

/** partial_success.error_message: how many were rejected and the first reasons. */
export function rejectionMessage(summary: IngestSummary, items: string): string {
  if (summary.rejected === 0) return '';
  const more = summary.rejected > summary.errors.length ? '; …' : '';
  return `${summary.rejected} ${items} rejected: ${summary.errors.join('; ')}${more}`;
}
