/**
 * Whether a process with this id runs on this host: signal 0 checks without signalling, and
 * EPERM means it exists but belongs to someone else. For lock files and adverts that name the
 * process holding them (a dead holder's file is stale).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
