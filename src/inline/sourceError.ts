/** Why a rollout document cannot show its address; the message is shown inside the document. */
export class SourceError extends Error {}
