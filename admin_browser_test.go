package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// requireBrowserEnv makes a missing browser a failure rather than a skip;
// scripts/test.sh sets it.
const requireBrowserEnv = "STUDENTAPI_REQUIRE_BROWSER"

// screenshotsEnv names a directory to keep the admin screenshots in (the
// README's comes from there); they always go to the test's temp dir as well.
const screenshotsEnv = "STUDENTAPI_SCREENSHOTS"

// findChromium returns Debian's chromium, or skips the test (fails it under
// STUDENTAPI_REQUIRE_BROWSER=1).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "chromium not found (looked for /usr/bin/chromium): the admin browser tests need it; " +
		"run scripts/test.sh, which installs it with apt-get, or `apt-get install chromium` and `go test .`"
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("%s=1: %s", requireBrowserEnv, msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless chromium with a fresh profile and nothing
// phoning home, and returns a tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first call starts the browser, so it takes no timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// stepTimeout bounds one step of the walk-through.
const stepTimeout = 30 * time.Second

// browse runs steps in the tab, failing the test with the step that failed.
func browse(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, step, chromedp.Steps(steps...))
}

// get runs one action that answers a value.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(stepCtx, a)
	if err != nil {
		locCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(locCtx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", step, loc, err)
	}
	return v
}

// screenshot saves the viewport as name.png and checks that it shows a page:
// a blank or failed render has one or two colours, a page with text dozens.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	buf := get(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 16 {
		t.Errorf("screenshot %s looks blank: %d distinct colours", name, len(colours))
	}
	for _, d := range []string{dir, os.Getenv(screenshotsEnv)} {
		if d == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, name+".png"), buf, 0o644); err != nil {
			t.Fatalf("save screenshot: %v", err)
		}
	}
}

// apiStudents lists the students through the API with key.
func apiStudents(t *testing.T, baseURL, key string) []map[string]any {
	t.Helper()
	resp, body := do(t, http.DefaultClient, http.MethodGet, baseURL+"/studentapi/", "", http.Header{"Authorization": {"Token " + key}})
	checkStatus(t, resp, body, http.StatusOK)
	var out []map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return out
}

func apiStatus(t *testing.T, baseURL, key string) int {
	t.Helper()
	resp, _ := do(t, http.DefaultClient, http.MethodGet, baseURL+"/studentapi/", "", http.Header{"Authorization": {"Token " + key}})
	return resp.StatusCode
}

// TestAdminInBrowser drives the admin site in a real headless chromium against
// the real server: log in, make a user and find its token, regenerate it and
// watch the API refuse the old key, add, change and delete a student and see
// each through the API, refuse a non-staff login, log out. Every page is
// photographed and checked not to be blank.
func TestAdminInBrowser(t *testing.T) {
	shots := t.TempDir()

	c := newTestCLI(t)
	// Enough login attempts for the walk-through from one IP.
	c.env["STUDENTAPI_API_THROTTLE_GETTOKEN"] = "100/minute"
	c.env["STUDENTAPI_API_THROTTLE_GETTOKEN_USERNAME"] = "100/minute"
	c.createUser(t, "createsuperuser", "boss", "boss password")
	c.createUser(t, "createuser", "plain", "plain password")
	s := startServer(t, c)
	// After the server: cleanups run last first, so the browser and its
	// preconnected sockets are gone before the server shuts down.
	ctx := newBrowser(t)
	admin := s.url + "/admin/"

	browse(t, ctx, "open the admin",
		chromedp.Navigate(admin),
		chromedp.WaitVisible(chromedp.CSS("#username")))
	screenshot(t, ctx, shots, "login")
	browse(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS("#username"), "boss"),
		chromedp.SendKeys(chromedp.CSS("#password"), "boss password"),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS(".tiles")))
	screenshot(t, ctx, shots, "index")

	// A user made in the admin gets its token from the same hook.
	browse(t, ctx, "add a user",
		chromedp.Navigate(admin+"users/add/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "carol"),
		chromedp.SendKeys(chromedp.CSS("#email"), "carol@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password1"), "carol password"),
		chromedp.SendKeys(chromedp.CSS("#password2"), "carol password"))
	screenshot(t, ctx, shots, "user_add")
	browse(t, ctx, "save the user",
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.WaitVisible(chromedp.CSS("#set-password")))
	screenshot(t, ctx, shots, "user_edit")
	browse(t, ctx, "list users", chromedp.Navigate(admin+"users/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-user="carol"]`)))
	screenshot(t, ctx, shots, "users")

	oldKey := getToken(t, http.DefaultClient, s.url, "carol", "carol password")
	browse(t, ctx, "find carol's token", chromedp.Navigate(admin+"tokens/?q=carol"))
	prefix := get(t, ctx, "read carol's key", chromedp.Text(chromedp.CSS(`tr[data-user="carol"] code`)))
	if want := oldKey[:8] + "…"; prefix != want {
		t.Errorf("token list shows %q for carol, want %q", prefix, want)
	}
	screenshot(t, ctx, shots, "tokens")

	browse(t, ctx, "ask to regenerate",
		chromedp.Click(chromedp.CSS(`tr[data-user="carol"] a.regenerate`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm")))
	screenshot(t, ctx, shots, "token_regenerate")
	browse(t, ctx, "regenerate", chromedp.Click(chromedp.CSS("#confirm")))
	newKey := get(t, ctx, "read the new key", chromedp.Text(chromedp.CSS("#key")))
	screenshot(t, ctx, shots, "token_key")
	if len(newKey) != 40 || newKey == oldKey {
		t.Fatalf("new key %q (old %q)", newKey, oldKey)
	}
	if got := apiStatus(t, s.url, oldKey); got != http.StatusUnauthorized {
		t.Errorf("old key after regenerate: %d, want 401", got)
	}
	if got := apiStatus(t, s.url, newKey); got != http.StatusOK {
		t.Errorf("new key after regenerate: %d, want 200", got)
	}

	// Students: the API's messages beside the fields, then add, change, delete.
	browse(t, ctx, "refused student",
		chromedp.Navigate(admin+"students/add/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#roll"), "ten"),
		chromedp.Click(chromedp.CSS("#save")))
	nameErr := get(t, ctx, "read the error", chromedp.Text(chromedp.CSS(".field-error")))
	if nameErr != "This field may not be blank." {
		t.Errorf("blank name: %q", nameErr)
	}
	screenshot(t, ctx, shots, "student_invalid")
	browse(t, ctx, "add a student",
		chromedp.SetValue(chromedp.CSS("#name"), "Ravi"),
		chromedp.SetValue(chromedp.CSS("#roll"), "101"),
		chromedp.SetValue(chromedp.CSS("#city"), "Ranchi"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-name="Ravi"]`)))
	screenshot(t, ctx, shots, "students")
	if got := apiStudents(t, s.url, newKey); len(got) != 1 || got[0]["name"] != "Ravi" || got[0]["city"] != "Ranchi" {
		t.Errorf("API after add: %v", got)
	}
	browse(t, ctx, "change the student",
		chromedp.Click(chromedp.CSS(`tr[data-name="Ravi"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#city")))
	screenshot(t, ctx, shots, "student_edit")
	browse(t, ctx, "save the student",
		chromedp.SetValue(chromedp.CSS("#city"), "Delhi"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-name="Ravi"]`)))
	if got := apiStudents(t, s.url, newKey); len(got) != 1 || got[0]["city"] != "Delhi" {
		t.Errorf("API after change: %v", got)
	}
	browse(t, ctx, "ask to delete the student",
		chromedp.Click(chromedp.CSS(`tr[data-name="Ravi"] a`)),
		chromedp.Click(chromedp.CSS("#delete")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")))
	screenshot(t, ctx, shots, "student_delete")
	browse(t, ctx, "delete the student",
		chromedp.Click(chromedp.CSS("#confirm")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := apiStudents(t, s.url, newKey); len(got) != 0 {
		t.Errorf("API after delete: %v", got)
	}

	// A phone's width: the page fits without scrolling sideways.
	browse(t, ctx, "phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(admin+"tokens/"),
		chromedp.WaitVisible(chromedp.CSS("#tokens")))
	overflow := get(t, ctx, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if overflow {
		t.Error("the tokens page is wider than a phone")
	}
	screenshot(t, ctx, shots, "phone_tokens")
	browse(t, ctx, "desktop again", chromedp.EmulateViewport(1280, 900))

	browse(t, ctx, "log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#username")))
	browse(t, ctx, "admin after logout",
		chromedp.Navigate(admin+"students/"),
		chromedp.WaitVisible(chromedp.CSS("#username")))
	loc := get(t, ctx, "where", chromedp.Location())
	if !strings.Contains(loc, "/admin/login/") {
		t.Errorf("after logout /admin/students/ shows %s, want the login page", loc)
	}

	browse(t, ctx, "non-staff login",
		chromedp.SendKeys(chromedp.CSS("#username"), "plain"),
		chromedp.SendKeys(chromedp.CSS("#password"), "plain password"),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	msg := get(t, ctx, "read the refusal", chromedp.Text(chromedp.CSS("#login-error")))
	loc = get(t, ctx, "where", chromedp.Location())
	if !strings.Contains(msg, "staff account") || !strings.Contains(loc, "/admin/login/") {
		t.Errorf("non-staff login: message %q at %s", msg, loc)
	}
	screenshot(t, ctx, shots, "login_refused")
	if t.Failed() {
		t.Logf("screenshots in %s", shots)
	}
}
