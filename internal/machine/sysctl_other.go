//go:build !darwin

package machine

import "fmt"

// sysctl is darwin's; elsewhere every name is unknown.
func sysctl(name string) (string, error) {
	return "", fmt.Errorf("sysctl %s: %w", name, ErrNoSysctl)
}
