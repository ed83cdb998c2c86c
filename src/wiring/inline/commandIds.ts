// The inline feature's command ids (package.json declares the same; src/commands.ts maps them).
// No `vscode` import: the manifest test reads these in plain Node.

export const INLINE_COMMANDS = {
  open: 'rlstudio.rollout.open',
  openFromInspector: 'rlstudio.rollout.openFromInspector',
  openFromTree: 'rlstudio.rollout.openFromTree',
  /** Hover links: the argument is an id handed out by RolloutLinks, never run data. */
  openLinked: 'rlstudio.rollout.openLinked',
  openRewardErrors: 'rlstudio.rollout.openRewardErrors',
  pickDatasetRun: 'rlstudio.dataset.pickRun',
} as const;

/** Commands that act on the active rollout document (keybindings active only there). */
export const NAVIGATION_COMMANDS = {
  nextSample: 'rlstudio.rollout.nextSample',
  previousSample: 'rlstudio.rollout.previousSample',
  nextStep: 'rlstudio.rollout.nextStep',
  previousStep: 'rlstudio.rollout.previousStep',
  nextForking: 'rlstudio.rollout.nextForkingToken',
  previousForking: 'rlstudio.rollout.previousForkingToken',
  switchMeasure: 'rlstudio.rollout.switchColorMode',
  openInInspector: 'rlstudio.rollout.openInInspector',
  diffWithSample: 'rlstudio.rollout.diffWithSample',
} as const;
