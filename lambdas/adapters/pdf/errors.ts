import { Cm01Error, InputError } from '../../errors.ts';

/** The renderer could not produce a pack (a pdfkit failure or the two layout passes disagreeing). */
export class PackRenderError extends Cm01Error {
  override name = 'PackRenderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('PACK_RENDER', message, options);
  }
}

/**
 * A file given as a pack is not one: not a PDF, damaged, or without the pack's attachments. Bad
 * input, naming the file the user gave (`PACK.pdf`), never a crash.
 */
export class PackFormatError extends InputError {
  override name = 'PackFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('PACK.pdf', message, options);
  }
}
