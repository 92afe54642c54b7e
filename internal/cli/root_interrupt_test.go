package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRunInterrupted: a command whose context Ctrl-C cancelled exits 130 and says
// "interrupted", not what its cancelled work made of it.
func TestRunInterrupted(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(f, []byte("not an executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		cause error
		want  int
	}{
		{"Ctrl-C", &Interrupted{Signal: os.Interrupt}, ExitInterrupted},
		{"another cancel", errors.New("stopped"), -1}, // whatever the command says
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(tt.cause)
			var stdout, stderr bytes.Buffer
			got := Run(ctx, []string{"inspect", f}, nil, &stdout, &stderr)
			if tt.want == -1 {
				if got == ExitInterrupted {
					t.Errorf("exit %d for a cancel that was not Ctrl-C", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("exit %d, want %d", got, tt.want)
			}
			if s := stderr.String(); s != "gonative: interrupted\n" {
				t.Errorf("stderr %q, want %q", s, "gonative: interrupted\n")
			}
		})
	}
}

// TestOnInterrupt: the first signal cancels with ErrInterrupted, the second exits at
// once; without a signal the watcher ends with the context.
func TestOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	now := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); onInterrupt(ctx, sigs, cancel, func(os.Signal) { close(now) }) }()
	sigs <- os.Interrupt
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the first signal did not cancel")
	}
	var in *Interrupted
	if !errors.Is(context.Cause(ctx), ErrInterrupted) || !errors.As(context.Cause(ctx), &in) || in.Signal != os.Interrupt {
		t.Errorf("cause %v, want an *Interrupted by SIGINT", context.Cause(ctx))
	}
	select {
	case <-now:
		t.Fatal("the first signal exited at once")
	case <-time.After(10 * time.Millisecond):
	}
	sigs <- os.Interrupt
	select {
	case <-now:
	case <-time.After(time.Minute):
		t.Fatal("the second signal did not exit")
	}
	<-done

	ctx2, cancel2 := context.WithCancelCause(context.Background())
	done2 := make(chan struct{})
	go func() {
		defer close(done2)
		onInterrupt(ctx2, make(chan os.Signal), cancel2, func(os.Signal) { t.Error("exit without a signal") })
	}()
	cancel2(nil)
	select {
	case <-done2:
	case <-time.After(time.Minute):
		t.Fatal("the watcher outlived its context")
	}
}

func TestInterruptedCode(t *testing.T) {
	for _, tt := range []struct {
		sig  os.Signal
		code int
		msg  string
	}{
		{os.Interrupt, 130, "interrupted"},
		{syscall.SIGTERM, 143, "interrupted: terminated"},
		{syscall.SIGHUP, 129, "interrupted: hangup"},
	} {
		e := &Interrupted{Signal: tt.sig}
		if e.Code() != tt.code || e.Error() != tt.msg || !errors.Is(e, ErrInterrupted) {
			t.Errorf("%v: code %d, %q, Is(ErrInterrupted) %v; want %d, %q, true", tt.sig, e.Code(), e.Error(), errors.Is(e, ErrInterrupted), tt.code, tt.msg)
		}
	}
}
