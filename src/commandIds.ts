// Every command id of the extension, once. package.json (contributes.commands) declares the same
// set (test/unit/manifest.test.ts); src/wiring/commands.ts maps each to its handler. Code that
// links to a command (tree items, CodeLenses, the status bar) names it from here.

export const COMMAND_IDS = {
  showLogs: 'rlstudio.showLogs',
  startRun: 'rlstudio.startRun',
  stopRun: 'rlstudio.stopRun',
  saveCheckpoint: 'rlstudio.saveCheckpoint',
  resumeRun: 'rlstudio.resumeRun',
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
  openRewardLab: 'rlstudio.rewardLab.open',
  addRewardToConfig: 'rlstudio.rewards.addToConfig',
  restartWorker: 'rlstudio.worker.restart',
  showWorkerOutput: 'rlstudio.worker.showOutput',
  openKpEditor: 'rlstudio.kp.openEditor',
  findMinimalSubsets: 'rlstudio.kp.findMinimalSubsets',
  makePreferencePairs: 'rlstudio.makePreferencePairs',
} as const;

export type CommandId = (typeof COMMAND_IDS)[keyof typeof COMMAND_IDS];
