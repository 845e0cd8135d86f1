// Package settingenv hands resilogtest a way to build a pipeline that reads no environment
// variable, without an exported option in package resilog that users would not need.
package settingenv

// Ignore is a resilog.Option (typed any: this package cannot import resilog) that makes
// resilog.New read no environment variable: every setting is then its option's or its
// default. Package resilog sets it at initialisation; nothing changes it afterwards.
var Ignore any
