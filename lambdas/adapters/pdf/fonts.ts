import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../../errors.ts';

/**
 * The DejaVu TrueType files the pack embeds. PDF/A forbids the 14 built-in PDF fonts (they are not
 * embedded), and DejaVu covers the dashes, check marks and Latin/Cyrillic/Greek letters that PR
 * titles and names carry. The build copies exactly these files beside a bundled Lambda.
 */
export const PACK_FONT_FILES = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
  condensed: 'DejaVuSansCondensed.ttf',
  condensedBold: 'DejaVuSansCondensed-Bold.ttf',
  mono: 'DejaVuSansMono.ttf',
} as const;

export type PackFontRole = keyof typeof PACK_FONT_FILES;
export type PackFontPaths = Readonly<Record<PackFontRole, string>>;

/**
 * Absolute paths of the pack fonts: from `fontDir` when given (a Lambda bundle ships them beside
 * the handler), otherwise from the `dejavu-fonts-ttf` package. Paths, not registered names, are
 * what the renderer hands to pdfkit: a registered name is re-read for every use.
 */
export function resolvePackFonts(fontDir?: string): PackFontPaths {
  const directory = fontDir ?? packageFontDirectory();
  const paths = {} as Record<PackFontRole, string>;
  for (const role of Object.keys(PACK_FONT_FILES) as PackFontRole[]) {
    const path = join(directory, PACK_FONT_FILES[role]);
    if (!existsSync(path)) {
      throw new InputError('fontDir', `font file ${PACK_FONT_FILES[role]} not found in ${directory}`);
    }
    paths[role] = path;
  }
  return paths;
}

function packageFontDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`dejavu-fonts-ttf/ttf/${PACK_FONT_FILES.regular}`));
  } catch (error: unknown) {
    throw new InputError(
      'fontDir',
      'the dejavu-fonts-ttf package is not installed and no font directory was given',
      {
        cause: error,
      },
    );
  }
}
