// Package testrun runs a module's tests for every target, the way each can run here.
package testrun
