package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The browsable API in a real browser: the anonymous page is the 401, a token
// typed into the page unlocks the list, and the page's POST form creates a
// student that the JSON API then lists.
func TestBrowsableAPIInBrowser(t *testing.T) {
	c := newTestCLI(t)
	c.createUser(t, "createuser", "reader", "reader password")
	s := startServer(t, c)
	ctx := newBrowser(t) // after the server, so it closes first (see TestAdminInBrowser)
	key := mustToken(t, c.openDB(t), mustUser(t, c.openDB(t), "reader"))
	list := s.url + "/studentapi/"

	browse(t, ctx, "open the list anonymously",
		chromedp.Navigate(list),
		chromedp.WaitVisible(chromedp.CSS("#browsable-response")))
	if got := get(t, ctx, "read the answer", chromedp.Text(chromedp.CSS("#browsable-response"))); !strings.Contains(got, "HTTP 401 Unauthorized") {
		t.Fatalf("anonymous page shows %q, want the 401", got)
	}

	browse(t, ctx, "use the token",
		chromedp.SendKeys(chromedp.CSS(`form[data-browsable="token"] input[name="token"]`), key),
		chromedp.Click(chromedp.CSS(`form[data-browsable="token"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-method="POST"] input[name="name"]`)))
	if got := get(t, ctx, "read the list", chromedp.Text(chromedp.CSS("#browsable-response"))); !strings.Contains(got, "HTTP 200 OK") || !strings.Contains(got, "[]") {
		t.Fatalf("list page with the token shows %q, want 200 and an empty list", got)
	}

	browse(t, ctx, "post a student",
		chromedp.SendKeys(chromedp.CSS(`form[data-method="POST"] input[name="name"]`), "Browser Ravi"),
		chromedp.SendKeys(chromedp.CSS(`form[data-method="POST"] input[name="roll"]`), "42"),
		chromedp.SendKeys(chromedp.CSS(`form[data-method="POST"] input[name="city"]`), "Ranchi"),
		chromedp.Click(chromedp.CSS(`form[data-method="POST"] button`)),
		// The 201 page replaces the list page, and offers no form.
		chromedp.WaitNotPresent(chromedp.CSS(`form[data-method="POST"]`)),
		chromedp.WaitVisible(chromedp.CSS("#browsable-response")))
	got := get(t, ctx, "read the answer to the POST", chromedp.Text(chromedp.CSS("#browsable-response")))
	if !strings.Contains(got, "HTTP 201 Created") || !strings.Contains(got, `"Browser Ravi"`) {
		t.Fatalf("after the POST the page shows %q, want 201 with the student", got)
	}
	students := apiStudents(t, s.url, key)
	if len(students) != 1 || students[0]["name"] != "Browser Ravi" || students[0]["roll"] != float64(42) {
		t.Errorf("the API lists %v, want the student posted from the page", students)
	}
}
