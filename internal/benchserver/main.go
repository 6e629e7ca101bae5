// Command benchserver is the yardstick for scripts/bench-policy.sh: a bare
// Fiber app that serves, from memory, the exact body and headers Steward
// serves for a policy page (the limit for that page), and a plain-text
// answer (the limit for any Fiber handler on this machine). With
// -steward-connections it serves them with Steward's connection settings
// (timeouts, buffers) rather than Fiber's defaults.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/handlers"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	from := flag.String("from", "", "URL of the Steward page whose bytes to serve at /page")
	like := flag.Bool("steward-connections", false, "serve with Steward's timeouts and buffers (handlers.Connections) instead of Fiber's defaults")
	flag.Parse()
	if *from == "" {
		log.Fatal("benchserver: -from is required")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get(*from)
	if err != nil {
		log.Fatalf("benchserver: fetch %s: %v", *from, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		log.Fatalf("benchserver: fetch %s: status %d, %v", *from, res.StatusCode, err)
	}
	// Every header Steward sent, but those the server writes itself.
	var headers [][2]string
	for k, vs := range res.Header {
		switch k {
		case "Date", "Content-Length", "Connection", "Server":
			continue
		}
		for _, v := range vs {
			headers = append(headers, [2]string{k, v})
		}
	}

	cfg := fiber.Config{}
	if *like {
		cfg = handlers.Connections()
	}
	cfg.DisableStartupMessage = true
	app := fiber.New(cfg)
	app.Get("/page", func(c *fiber.Ctx) error {
		for _, kv := range headers {
			c.Set(kv[0], kv[1])
		}
		return c.Send(body)
	})
	app.Get("/plaintext", func(c *fiber.Ctx) error {
		return c.SendString("Hello, World!")
	})
	fmt.Printf("benchserver: serving %d bytes and %d headers from %s at http://%s/page\n", len(body), len(headers), *from, *addr)
	log.Fatal(app.Listen(*addr))
}
