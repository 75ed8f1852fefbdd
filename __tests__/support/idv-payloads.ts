// Documented IDV notification payloads, shared by the parser, router and preset tests.
import { IDV_TOPIC_ID_FIELDS } from '../../lib';

export const SESSION = '04f3b176-dcb8-428e-9b8e-8c8cd0915158';
export const ID = '6fa33fe2-7a9b-4b8e-9a53-6a4c1b1f2a10';

/** A documented payload for each topic, with the id field its topic carries. */
export function payloadFor(topic: string): Record<string, string> {
  const idField = (IDV_TOPIC_ID_FIELDS as Record<string, string | undefined>)[topic];
  return { session_id: SESSION, ...(idField && { [idField]: ID }), topic };
}
