package bridge_test

import (
	"fmt"

	"github.com/resilog/resilog/bridge"
)

func ExampleParseLevels() {
	levels, err := bridge.ParseLevels("info,github.com/acme/shop=debug,github.com/acme/shop/db=warn")
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"github.com/acme/shop/orders", "github.com/acme/shop/db", "github.com/acme/shopping"} {
		fmt.Println(name, levels.Level(name))
	}
	// Output:
	// github.com/acme/shop/orders DEBUG
	// github.com/acme/shop/db WARN
	// github.com/acme/shopping INFO
}
