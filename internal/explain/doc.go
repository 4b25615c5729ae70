// Package explain follows one value of the configuration, named by its CUE
// path, from where it is written (stacks.cue, an overlay, a schema default,
// a healthcheck layer) through what normalization did to it, to the
// generated lines that hold it. It is what `azagen explain` prints; it
// reads the compiled result and writes nothing.
package explain
