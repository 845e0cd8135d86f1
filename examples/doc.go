// Package examples holds runnable services that use resilog the way its users do; each
// subdirectory is a main package (go run ./examples/orders). Nothing in the library
// depends on them.
package examples
