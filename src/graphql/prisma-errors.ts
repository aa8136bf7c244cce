/** Recognizes the Prisma errors that are the client's fault, by their stable codes. */
const UNIQUE_VIOLATION = 'P2002';
const FOREIGN_KEY_VIOLATION = 'P2003';
const RECORD_NOT_FOUND = 'P2025';

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export const isUniqueViolation = (error: unknown) => hasCode(error, UNIQUE_VIOLATION);
export const isForeignKeyViolation = (error: unknown) => hasCode(error, FOREIGN_KEY_VIOLATION);
export const isRecordNotFound = (error: unknown) => hasCode(error, RECORD_NOT_FOUND);
