// Every command id of the extension, once. package.json (contributes.commands) declares the same
// set (test/unit/manifest.test.ts); src/wiring/commands.ts maps each to its handler. Code that
// links to a command (tree items, CodeLenses, the status bar) names it from here.

export const COMMAND_IDS = {
  showLogs: 'rlstudio.showLogs',
  startRun: 'rlstudio.startRun',
  stopRun: 'rlstudio.stopRun',
  saveCheckpoint: 'rlstudio.saveCheckpoint',
  resumeRun: 'rlstudio.resumeRun',
  selectSubset: 'rlstudio.selectSubset',
  openRun: 'rlstudio.openRun',
  showRunLog: 'rlstudio.showRunLog',
  openRunConfig: 'rlstudio.openRunConfig',
  revealRun: 'rlstudio.revealRun',
  deleteRun: 'rlstudio.deleteRun',
  refreshRuns: 'rlstudio.refreshRuns',
  createRunConfig: 'rlstudio.createRunConfig',
  runDemo: 'rlstudio.runDemo',
  setupEnvironment: 'rlstudio.setupEnvironment',
  openDashboard: 'rlstudio.openDashboard',
  inspectRollouts: 'rlstudio.inspectRollouts',
  compareCheckpoints: 'rlstudio.compareCheckpoints',
  newEvaluation: 'rlstudio.newEvaluation',
  openRewardLab: 'rlstudio.rewardLab.open',
  addRewardToConfig: 'rlstudio.rewards.addToConfig',
  restartWorker: 'rlstudio.worker.restart',
  showWorkerOutput: 'rlstudio.worker.showOutput',
  scoreSelection: 'rlstudio.onnx.scoreSelection',
  compareSelection: 'rlstudio.onnx.compareSelection',
  clearScores: 'rlstudio.onnx.clearScores',
  exportCheckpoint: 'rlstudio.onnx.exportCheckpoint',
  openKpEditor: 'rlstudio.kp.openEditor',
  findMinimalSubsets: 'rlstudio.kp.findMinimalSubsets',
  makePreferencePairs: 'rlstudio.makePreferencePairs',
  // Inline rollout inspection (src/wiring/inlineFeature.ts).
  openRollout: 'rlstudio.rollout.open',
  openRolloutFromInspector: 'rlstudio.rollout.openFromInspector',
  openRolloutFromTree: 'rlstudio.rollout.openFromTree',
  /** From the Compare panel's sample cards: the argument names a run, eval, checkpoint, prompt and sample. */
  openEvalSample: 'rlstudio.rollout.openEvalSample',
  /** Hover links: the argument is an id handed out by RolloutLinks, never run data. */
  openLinkedRollout: 'rlstudio.rollout.openLinked',
  openRewardErrors: 'rlstudio.rollout.openRewardErrors',
  pickDatasetRun: 'rlstudio.dataset.pickRun',
  // On the active rollout document (keybindings active only there).
  nextSample: 'rlstudio.rollout.nextSample',
  previousSample: 'rlstudio.rollout.previousSample',
  nextStep: 'rlstudio.rollout.nextStep',
  previousStep: 'rlstudio.rollout.previousStep',
  nextForkingToken: 'rlstudio.rollout.nextForkingToken',
  previousForkingToken: 'rlstudio.rollout.previousForkingToken',
  switchColorMode: 'rlstudio.rollout.switchColorMode',
  openRolloutInInspector: 'rlstudio.rollout.openInInspector',
  diffWithSample: 'rlstudio.rollout.diffWithSample',
} as const;

export type CommandId = (typeof COMMAND_IDS)[keyof typeof COMMAND_IDS];
