// Jest's global teardown: without forceExit, a handle a suite forgot to close
// (a socket, a timer, a child's pipe) keeps jest running after its results
// are written, and CI would wait until its own limit. This arms an unref'd
// timer: when nothing else keeps the process alive it never fires; when a
// leak does, the run fails with a pointer to the tool that names the handle.
const GRACE_MS = Number(process.env.TICKPULSE_JEST_EXIT_GRACE_MS ?? 10_000);

module.exports = async function armExitGuard() {
  setTimeout(() => {
    console.error(
      `jest did not exit ${GRACE_MS / 1000} s after its tests ended: an open handle leaked. ` +
        'Find it with `npx jest --runInBand --detectOpenHandles` in this workspace.',
    );
    process.exit(1);
  }, GRACE_MS).unref();
};
