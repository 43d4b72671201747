package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"studentapi/internal/proxies"

	"studentapi/internal/fields"
)

// Pagination is DRF's PageNumberPagination. A zero PageSize turns it off.
type Pagination struct {
	PageSize           int
	PageSizeQueryParam string // empty: clients cannot choose
	MaxPageSize        int    // 0: no cap
}

const pageParam = "page"

var errInvalidPage = newDetail(http.StatusNotFound, "Invalid page.")

// pageRequest is the page a request asks for.
type pageRequest struct {
	size int
	raw  string // the page parameter, "" for the first page
}

func (p Pagination) request(params url.Values) pageRequest {
	size := p.PageSize
	if p.PageSizeQueryParam != "" {
		// DRF's _positive_int(strict=True, cutoff=max_page_size); anything
		// else falls back to the default size.
		if n, ok := fields.PythonInt(lastValue(params, p.PageSizeQueryParam)); ok && n > 0 {
			size = int(min(n, int64(1<<31-1)))
			if p.MaxPageSize > 0 {
				size = min(size, p.MaxPageSize)
			}
		}
	}
	return pageRequest{size: size, raw: lastValue(params, pageParam)}
}

// number resolves the requested page against the total, as Django's
// Paginator: "last" is the last page, page 1 always exists, anything else out
// of range or not an integer is an invalid page.
func (r pageRequest) number(count int64) (int64, error) {
	pages := max(1, (count+int64(r.size)-1)/int64(r.size))
	if r.raw == "" {
		return 1, nil
	}
	if r.raw == "last" {
		return pages, nil
	}
	n, ok := fields.PythonInt(r.raw)
	if !ok || n < 1 || n > pages {
		return 0, errInvalidPage
	}
	return n, nil
}

// pageLinks builds the absolute next and previous URLs from the request, as
// DRF's replace_query_param does (query keys re-sorted); the link to page 1
// drops the page parameter.
func pageLinks(c *gin.Context, trusted *proxies.Trusted, number, count int64, size int) (next, previous *string) {
	base := absoluteURL(c, trusted)
	link := func(page int64) *string {
		u := *base
		q := u.Query()
		if page == 1 {
			q.Del(pageParam)
		} else {
			q.Set(pageParam, strconv.FormatInt(page, 10))
		}
		u.RawQuery = q.Encode()
		s := u.String()
		return &s
	}
	if number*int64(size) < count {
		next = link(number + 1)
	}
	if number > 1 {
		previous = link(number - 1)
	}
	return next, previous
}

// absoluteURL is the request's own URL with scheme and host, believing
// X-Forwarded-Proto and X-Forwarded-Host only from a trusted proxy.
func absoluteURL(c *gin.Context, trusted *proxies.Trusted) *url.URL {
	return &url.URL{Scheme: trusted.Scheme(c.Request), Host: trusted.Host(c.Request), Path: c.Request.URL.Path, RawQuery: c.Request.URL.RawQuery}
}
