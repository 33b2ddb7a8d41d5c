/** Recorded in every snapshot's provenance and on the pack's cover. */
export const TOOL_NAME = 'cm01-evidence';
export const TOOL_VERSION = '0.1.0';
export const TOOL_ID = `${TOOL_NAME}/${TOOL_VERSION}`;
