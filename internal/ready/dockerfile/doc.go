// Package dockerfile holds ready's Dockerfile checks.
package dockerfile
