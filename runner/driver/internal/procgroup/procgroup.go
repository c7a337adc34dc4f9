package procgroup

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// Set makes cmd, made with exec.CommandContext, start in its own process
// group, and the whole group be killed when its context ends: a command's
// children (apt, ssh) would otherwise outlive it, holding locks and its
// pipes. A child that escaped the group (setsid) may still hold the
// output; Wait stops waiting for it after waitForOutputs.
func Set(cmd *exec.Cmd, waitForOutputs time.Duration) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = waitForOutputs
}
