/*
 * libvirt_conn.c — watched connections to libvirt and what each knows of
 * its guests (see libvirt_conn.h).
 *
 * Blocking: libvirt's client API is synchronous; a call waits for the
 * daemon's answer with the loop stopped. Once a connection is open its
 * keepalive (LVC_KEEPALIVE_*) bounds that wait: a daemon that stops
 * answering is declared dead after about interval * (count + 1) seconds
 * and the call fails. Opening has no such bound (keepalive starts after
 * the open), so:
 *  - a local URI (no host: a unix socket on this machine) is opened
 *    directly: connect(2) to a unix socket succeeds or fails at once, and
 *    a daemon that accepted answers its first call;
 *  - a remote URI (ssh, tls, tcp, libssh, ext: anything with a host or a
 *    transport other than unix) may hang for minutes (ssh's TCP connect to
 *    a dead host, a password prompt, a daemon that accepts and never
 *    answers). It is first opened by a probe: a forked child in its own
 *    session (no terminal to prompt on) with an event loop of its own,
 *    killed with its process group (ssh included) after LVC_PROBE_MS. Only
 *    when the probe connected is the URI opened in the daemon, which can
 *    then block only for as long as the probe took, unless the host dies
 *    in that moment.
 * A connection that closes (libvirtd restarted, keepalive, I/O error)
 * is reopened after 1 s, doubling up to 30 s; listeners hear DOWN then UP.
 *
 * Guests are refreshed from libvirt on every lifecycle and device event
 * (two calls: is it active, its XML), and all of them at each (re)connect.
 * libvirt's default error handler prints to stderr; it is replaced by our
 * own logging.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/libvirt_conn.h"
#include "core/libvirt_loop.h"
#include "core/log.h"
#include "core/loop.h"

#define LVC_KEEPALIVE_INTERVAL	2	/* seconds of silence before a ping */
#define LVC_KEEPALIVE_COUNT	2	/* unanswered pings before giving up */
#define LVC_BACKOFF_MIN_MS	1000
#define LVC_BACKOFF_MAX_MS	30000
#define LVC_PROBE_SECS		"10"
#define LVC_PROBE_MS		10000

struct libvirt_conn_domain {
	struct libvirt_conn		*conn;
	char				*name;
	unsigned char			 uuid[VIR_UUID_BUFLEN];
	char				 uuid_key[VIR_UUID_BUFLEN * 2 + 1];	/* hex */
	int				 active;
	unsigned int			 runs;
	char			       **aliases;
	char			       **ptys;
	size_t				 ndevs;
	int				 seen;		/* in this resync */
	struct libvirt_conn_domain	*next;
	struct libvirt_conn_domain	*prev;
};

struct libvirt_conn_listener {
	struct libvirt_conn		*conn;
	libvirt_conn_fn			*fn;
	void				*arg;
	int				 dead;
	struct libvirt_conn_listener	*next;
};

struct libvirt_conn {
	char				*uri;
	int				 refs;
	int				 closing;	/* the last reference went */
	int				 local;
	virConnectPtr			 vc;		/* NULL while down */
	int				 up;		/* vc open and guests known */
	int				 cb_ids[3];	/* domain event callbacks, -1 */
	struct loop_timer		*retry;		/* reconnect */
	struct loop_timer		*closed;	/* teardown after a close */
	long				 backoff_ms;
	int				 failures;	/* in a row, for quiet logs */
	pid_t				 probe_pid;	/* 0: none */
	int				 probe_fd;
	char				 probe_msg[512];
	size_t				 probe_len;
	struct loop_timer		*probe_timer;
	struct libvirt_conn_domain	*domains;	/* the order first seen */
	struct libvirt_conn_domain	*last;
	struct hash			*by_name;
	struct hash			*by_uuid;	/* by uuid_key */
	struct libvirt_conn_listener	*listeners;
	int				 notifying;	/* depth */
	struct libvirt_conn		*next;		/* all connections */
};

static struct libvirt_conn *lvc_all;
static int lvc_initialized;

static void lvc_connect(struct libvirt_conn *c);
static void lvc_teardown(struct libvirt_conn *c, const char *why);

static void
lvc_silent(void *arg, virErrorPtr err)
{
	(void)arg, (void)err;
}

/* The message of libvirt's last error on this thread. */
static const char *
lvc_error(void)
{
	virErrorPtr e = virGetLastError();

	return e != NULL && e->message != NULL ? e->message : "unknown libvirt error";
}

/* ---- guests ---- */

static void
lvc_free_devs(char **aliases, char **ptys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(aliases[i]);
		free(ptys[i]);
	}
	free(aliases);
	free(ptys);
}

static void
lvc_domain_free(struct libvirt_conn_domain *d)
{
	if (d == NULL)
		return;
	lvc_free_devs(d->aliases, d->ptys, d->ndevs);
	free(d->name);
	free(d);
}

static char *
lvc_prop(xmlNodePtr n, const char *child, const char *prop)
{
	for (xmlNodePtr k = n->children; k != NULL; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(k->name, (const xmlChar *)child) == 0)
			return (char *)xmlGetProp(k, (const xmlChar *)prop);
	return NULL;
}

static int
lvc_add_dev(char ***aliases, char ***ptys, size_t *n, const char *alias, const char *pty)
{
	char **na, **np;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*aliases)[i], alias) == 0) {
			/* <console> repeats <serial>'s alias: one device. */
			if ((*ptys)[i] == NULL && pty != NULL &&
			    ((*ptys)[i] = strdup(pty)) == NULL)
				return -1;
			return 0;
		}
	if ((na = realloc(*aliases, (*n + 1) * sizeof *na)) == NULL)
		return -1;
	*aliases = na;
	if ((np = realloc(*ptys, (*n + 1) * sizeof *np)) == NULL)
		return -1;
	*ptys = np;
	na[*n] = strdup(alias);
	np[*n] = pty != NULL ? strdup(pty) : NULL;
	if (na[*n] == NULL || (pty != NULL && np[*n] == NULL)) {
		free(na[*n]);
		free(np[*n]);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Parse a domain's XML into console device aliases and ptys. Only pty
 * devices: those are what virDomainOpenConsole can open. */
int
libvirt_conn_parse_devices(const char *xml, char ***aliases, char ***ptys, size_t *n)
{
	static const char *const kinds[] = { "serial", "parallel", "channel", "console" };
	unsigned int count[4] = { 0, 0, 0, 0 };
	xmlDocPtr doc;
	xmlNodePtr root, devs = NULL;
	int rc = 0;

	*aliases = *ptys = NULL;
	*n = 0;
	doc = xmlReadMemory(xml, strlen(xml), "domain.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || xmlStrcmp(root->name, (const xmlChar *)"domain") != 0) {
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNodePtr k = root->children; k != NULL; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(k->name, (const xmlChar *)"devices") == 0)
			devs = k;
	for (xmlNodePtr k = devs != NULL ? devs->children : NULL; k != NULL && rc == 0;
	    k = k->next) {
		char *type, *alias, *path, *ttype, made[32];
		const char *name;
		unsigned int idx;
		int kind;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		for (kind = 0; kind < 4; kind++)
			if (xmlStrcmp(k->name, (const xmlChar *)kinds[kind]) == 0)
				break;
		if (kind == 4)
			continue;
		idx = count[kind]++;
		type = (char *)xmlGetProp(k, (const xmlChar *)"type");
		alias = lvc_prop(k, "alias", "name");
		path = lvc_prop(k, "source", "path");
		ttype = lvc_prop(k, "target", "type");
		name = alias;
		if (name == NULL) {
			/* Inactive XML has no aliases: libvirt's QEMU driver names
			 * them at start by position (qemuAssignDeviceChrAlias), and
			 * a first <console> on a serial target is serial0 itself. */
			if (kind == 3 && idx == 0 && count[0] > 0 &&
			    (ttype == NULL || strcmp(ttype, "serial") == 0))
				snprintf(made, sizeof made, "serial0");
			else
				snprintf(made, sizeof made, "%s%u", kinds[kind], idx);
			name = made;
		}
		if (type != NULL && strcmp(type, "pty") == 0 &&
		    lvc_add_dev(aliases, ptys, n, name, path) == -1)
			rc = -1;
		xmlFree(type);
		xmlFree(alias);
		xmlFree(path);
		xmlFree(ttype);
	}
	xmlFreeDoc(doc);
	if (rc == -1) {
		lvc_free_devs(*aliases, *ptys, *n);
		*aliases = *ptys = NULL;
		*n = 0;
	}
	return rc;
}

static void
lvc_uuid_key(const unsigned char *uuid, char *key)
{
	for (int i = 0; i < VIR_UUID_BUFLEN; i++)
		snprintf(key + 2 * i, 3, "%02x", uuid[i]);
}

static struct libvirt_conn_domain *
lvc_find_uuid(const struct libvirt_conn *c, const unsigned char *uuid)
{
	char key[VIR_UUID_BUFLEN * 2 + 1];

	lvc_uuid_key(uuid, key);
	return hash_get(c->by_uuid, key);
}

/* Tell every listener; they may unlisten, or drop references (C is held). */
static void
lvc_notify(struct libvirt_conn *c, enum libvirt_conn_event ev,
    struct libvirt_conn_domain *d)
{
	struct libvirt_conn_listener **lp, *l;

	c->refs++;
	c->notifying++;
	for (l = c->listeners; l != NULL; l = l->next)
		if (!l->dead)
			l->fn(l->arg, c, ev, d);
	if (--c->notifying == 0)
		for (lp = &c->listeners; (l = *lp) != NULL;) {
			if (l->dead) {
				*lp = l->next;
				free(l);
			} else
				lp = &l->next;
		}
	libvirt_conn_put(c);
}

static void
lvc_domain_gone(struct libvirt_conn *c, struct libvirt_conn_domain *d, int tell)
{
	if (tell)
		lvc_notify(c, LIBVIRT_CONN_DOMAIN_GONE, d);
	hash_del(c->by_name, d->name);
	hash_del(c->by_uuid, d->uuid_key);
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		c->domains = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		c->last = d->prev;
	lvc_domain_free(d);
}

/* Ask libvirt about DOM and update what we know; TELL listeners. */
static void
lvc_refresh(struct libvirt_conn *c, virDomainPtr dom, int tell)
{
	unsigned char uuid[VIR_UUID_BUFLEN];
	struct libvirt_conn_domain *d;
	char **aliases, **ptys, *xml;
	const char *name;
	size_t n;
	int active;

	if (virDomainGetUUID(dom, uuid) == -1 || (name = virDomainGetName(dom)) == NULL)
		return;
	d = lvc_find_uuid(c, uuid);
	active = virDomainIsActive(dom);
	xml = active == -1 ? NULL : virDomainGetXMLDesc(dom, 0);
	if (xml == NULL) {
		virErrorPtr e = virGetLastError();

		if (e != NULL && e->code == VIR_ERR_NO_DOMAIN) {
			/* Undefined, or a transient guest that stopped. */
			if (d != NULL) {
				log_info("%s: %s: guest %s is gone", __func__, c->uri, d->name);
				lvc_domain_gone(c, d, tell);
			}
		} else
			log_warn("%s: %s: guest %s: %s", __func__, c->uri, name, lvc_error());
		return;
	}
	if (libvirt_conn_parse_devices(xml, &aliases, &ptys, &n) == -1) {
		log_warn("%s: %s: guest %s: cannot read its XML", __func__, c->uri, name);
		free(xml);
		return;
	}
	free(xml);
	if (d != NULL && strcmp(d->name, name) != 0) {
		/* Renamed: the old name goes, the new one comes. */
		lvc_domain_gone(c, d, tell);
		d = NULL;
	}
	if (d == NULL) {
		if ((d = calloc(1, sizeof *d)) == NULL || (d->name = strdup(name)) == NULL) {
			free(d);
			lvc_free_devs(aliases, ptys, n);
			log_error("%s: out of memory", __func__);
			return;
		}
		d->conn = c;
		memcpy(d->uuid, uuid, sizeof d->uuid);
		lvc_uuid_key(uuid, d->uuid_key);
		if (hash_put(c->by_name, d->name, d) == -1 ||
		    hash_put(c->by_uuid, d->uuid_key, d) == -1) {
			hash_del(c->by_name, d->name);
			lvc_domain_free(d);
			lvc_free_devs(aliases, ptys, n);
			log_error("%s: out of memory", __func__);
			return;
		}
		d->prev = c->last;
		if (c->last != NULL)
			c->last->next = d;
		else
			c->domains = d;
		c->last = d;
		log_debug("%s: %s: guest %s (%s, %zu console device(s))", __func__, c->uri,
		    name, active ? "running" : "shut off", n);
	} else if (active != d->active && tell)
		log_info("%s: %s: guest %s %s", __func__, c->uri, name,
		    active ? "started" : "stopped");
	if (active && !d->active)
		d->runs++;
	d->active = active;
	lvc_free_devs(d->aliases, d->ptys, d->ndevs);
	d->aliases = aliases;
	d->ptys = ptys;
	d->ndevs = n;
	d->seen = 1;
	if (tell)
		lvc_notify(c, LIBVIRT_CONN_DOMAIN, d);
}

static void
lvc_lifecycle(virConnectPtr vc, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct libvirt_conn *c = opaque;

	(void)vc, (void)event, (void)detail;
	if (c->vc != NULL)
		lvc_refresh(c, dom, c->up);
}

static void
lvc_device(virConnectPtr vc, virDomainPtr dom, const char *alias, void *opaque)
{
	struct libvirt_conn *c = opaque;

	(void)vc, (void)alias;
	if (c->vc != NULL)
		lvc_refresh(c, dom, c->up);
}

/* ---- the connection ---- */

static void
lvc_closed_timer(struct loop *lp, void *arg)
{
	struct libvirt_conn *c = arg;

	(void)lp;
	c->closed = NULL;
	lvc_teardown(c, "the connection closed");
}

static void
lvc_close_cb(virConnectPtr vc, int reason, void *opaque)
{
	struct libvirt_conn *c = opaque;
	static const char *const why[] = { "I/O error", "end of file from libvirtd",
	    "keepalive timeout", "closed by us" };

	(void)vc;
	log_warn("%s: %s: connection lost: %s", __func__, c->uri,
	    reason >= 0 && reason < 4 ? why[reason] : "?");
	/* Not here: libvirt is in the middle of closing and holds the
	 * connection; tear down from a clean stack. */
	if (c->closed == NULL)
		c->closed = loop_add_timer(libvirt_loop_get(), 0, lvc_closed_timer, c);
}

static void
lvc_retry_timer(struct loop *lp, void *arg)
{
	struct libvirt_conn *c = arg;

	(void)lp;
	c->retry = NULL;
	lvc_connect(c);
}

static void
lvc_retry_later(struct libvirt_conn *c)
{
	long ms = c->backoff_ms;

	c->backoff_ms = c->backoff_ms * 2 > LVC_BACKOFF_MAX_MS ? LVC_BACKOFF_MAX_MS :
	    c->backoff_ms * 2;
	if (c->retry == NULL && !c->closing)
		c->retry = loop_add_timer(libvirt_loop_get(), ms, lvc_retry_timer, c);
}

static void
lvc_failed(struct libvirt_conn *c, const char *why)
{
	if (c->failures++ == 0)
		log_warn("%s: cannot connect to %s: %s; retrying every %d s at most",
		    __func__, c->uri, why, LVC_BACKOFF_MAX_MS / 1000);
	else
		log_debug("%s: cannot connect to %s: %s", __func__, c->uri, why);
	lvc_retry_later(c);
}

/* Close the connection (if open), tell listeners it is down, retry later
 * while referenced. Guests stay listed, none running. */
static void
lvc_teardown(struct libvirt_conn *c, const char *why)
{
	int was_up = c->up;

	if (c->closed != NULL) {
		loop_del_timer(libvirt_loop_get(), c->closed);
		c->closed = NULL;
	}
	if (c->vc == NULL)
		return;
	log_info("%s: %s: %s", __func__, c->uri, why);
	c->up = 0;
	for (struct libvirt_conn_domain *d = c->domains; d != NULL; d = d->next)
		d->active = 0;
	/* Listeners drop their streams first: they hold the connection. */
	if (was_up)
		lvc_notify(c, LIBVIRT_CONN_DOWN, NULL);
	for (int i = 0; i < 3; i++)
		if (c->cb_ids[i] != -1) {
			virConnectDomainEventDeregisterAny(c->vc, c->cb_ids[i]);
			c->cb_ids[i] = -1;
		}
	virConnectUnregisterCloseCallback(c->vc, lvc_close_cb);
	virConnectClose(c->vc);
	c->vc = NULL;
	c->backoff_ms = LVC_BACKOFF_MIN_MS;
	lvc_retry_later(c);
}

/* VC is open: watch it, learn the guests, tell listeners. */
static void
lvc_setup(struct libvirt_conn *c, virConnectPtr vc)
{
	virDomainPtr *doms = NULL;
	struct libvirt_conn_domain *d, *dnext;
	int n;

	c->vc = vc;
	if (virConnectSetKeepAlive(vc, LVC_KEEPALIVE_INTERVAL, LVC_KEEPALIVE_COUNT) == -1)
		log_debug("%s: %s: no keepalive: %s", __func__, c->uri, lvc_error());
	if (virConnectRegisterCloseCallback(vc, lvc_close_cb, c, NULL) == -1)
		log_debug("%s: %s: no close callback: %s", __func__, c->uri, lvc_error());
	c->cb_ids[0] = virConnectDomainEventRegisterAny(vc, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lvc_lifecycle), c, NULL);
	c->cb_ids[1] = virConnectDomainEventRegisterAny(vc, NULL,
	    VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(lvc_device), c, NULL);
	c->cb_ids[2] = virConnectDomainEventRegisterAny(vc, NULL,
	    VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(lvc_device), c, NULL);
	if (c->cb_ids[0] == -1)
		log_warn("%s: %s: no lifecycle events (guests will not follow): %s", __func__,
		    c->uri, lvc_error());
	for (d = c->domains; d != NULL; d = d->next)
		d->seen = 0;
	n = virConnectListAllDomains(vc, &doms, 0);
	if (n < 0) {
		log_warn("%s: %s: cannot list the guests: %s", __func__, c->uri, lvc_error());
		lvc_teardown(c, "giving up on this connection");
		return;
	}
	for (int i = 0; i < n; i++) {
		lvc_refresh(c, doms[i], 0);
		virDomainFree(doms[i]);
	}
	free(doms);
	for (d = c->domains; d != NULL; d = dnext) {
		dnext = d->next;
		if (!d->seen)
			lvc_domain_gone(c, d, 0);
	}
	log_info("%s: connected to %s: %d guest(s)", __func__, c->uri, n);
	c->failures = 0;
	c->backoff_ms = LVC_BACKOFF_MIN_MS;
	c->up = 1;
	lvc_notify(c, LIBVIRT_CONN_UP, NULL);
}

static void
lvc_open(struct libvirt_conn *c)
{
	virConnectPtr vc = virConnectOpen(c->uri);

	if (vc == NULL) {
		lvc_failed(c, lvc_error());
		return;
	}
	lvc_setup(c, vc);
}

/* ---- the probe of a remote URI ---- */

static void
lvc_probe_end(struct libvirt_conn *c)
{
	struct loop *lp = libvirt_loop_get();

	if (c->probe_timer != NULL)
		loop_del_timer(lp, c->probe_timer);
	c->probe_timer = NULL;
	if (c->probe_fd != -1) {
		loop_del_fd(lp, c->probe_fd);
		close(c->probe_fd);
	}
	c->probe_fd = -1;
	/* Reaped by the daemon's SIGCHLD handler (child_reap), like every
	 * child; never waited for here, so its pid is never reused under us. */
	c->probe_pid = 0;
	c->probe_len = 0;
}

/* Kill the probe and its process group (ssh), which is still there: its
 * end of the pipe has not closed, so it has not exited nor been reaped. */
static void
lvc_probe_kill(struct libvirt_conn *c)
{
	if (c->probe_pid > 0)
		kill(-c->probe_pid, SIGKILL);
	lvc_probe_end(c);
}

static void
lvc_probe_timeout(struct loop *lp, void *arg)
{
	struct libvirt_conn *c = arg;

	(void)lp;
	c->probe_timer = NULL;
	lvc_probe_kill(c);
	lvc_failed(c, "no answer within " LVC_PROBE_SECS " s");
}

static void
lvc_probe_read(struct loop *lp, int fd, int events, void *arg)
{
	struct libvirt_conn *c = arg;
	ssize_t n;

	(void)lp, (void)events;
	n = read(fd, c->probe_msg + c->probe_len, sizeof c->probe_msg - 1 - c->probe_len);
	if (n > 0) {
		c->probe_len += n;
		if (c->probe_len < sizeof c->probe_msg - 1)
			return;
	} else if (n == -1 && errno == EAGAIN)
		return;
	/* End of file: the probe has finished (or died). */
	c->probe_msg[c->probe_len] = '\0';
	if (c->probe_len > 0 && c->probe_msg[0] == '+') {
		lvc_probe_end(c);
		log_debug("%s: %s answers: opening it", __func__, c->uri);
		lvc_open(c);
		return;
	}
	{
		char why[sizeof c->probe_msg];

		snprintf(why, sizeof why, "%s", c->probe_len > 1 ? c->probe_msg + 1 :
		    "the probe died");
		lvc_probe_kill(c);
		lvc_failed(c, why);
	}
}

static void
lvc_probe(struct libvirt_conn *c)
{
	struct loop *lp = libvirt_loop_get();
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		lvc_failed(c, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == -1) {
		close(p[0]);
		close(p[1]);
		lvc_failed(c, strerror(errno));
		return;
	}
	if (pid == 0) {
		char msg[512];
		virConnectPtr vc;
		sigset_t none;
		int len, null;

		/* The probe: no terminal for ssh to prompt on, default signals,
		 * none of the daemon's fds (/dev/fuse above all: a copy here
		 * would keep the mount alive, unanswered, if the daemon died
		 * while we wait), a time limit of its own for that case, and
		 * libvirt on a loop of its own (the daemon's epoll set would be
		 * shared with us across fork). */
		setsid();
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(p[1], 3) == -1)
			_exit(1);
		p[1] = 3;
		if (close_range(4, ~0U, 0) == -1)
			for (int fd = 4; fd < 1024; fd++)
				close(fd);
		if ((null = open("/dev/null", O_RDWR)) != -1)
			for (int fd = 0; fd < 3; fd++)
				if (fd != null)
					dup2(null, fd);
		if (null > 3)
			close(null);
		alarm(LVC_PROBE_MS / 1000 + 5);
		if (libvirt_loop_forked() == -1)
			_exit(1);
		vc = virConnectOpen(c->uri);
		len = snprintf(msg, sizeof msg, "%c%s", vc != NULL ? '+' : '-',
		    vc != NULL ? "" : lvc_error());
		if (write(p[1], msg, len) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	c->probe_pid = pid;
	c->probe_fd = p[0];
	c->probe_len = 0;
	if (loop_add_fd(lp, p[0], LOOP_READ, lvc_probe_read, c) == -1 ||
	    (c->probe_timer = loop_add_timer(lp, LVC_PROBE_MS, lvc_probe_timeout, c)) == NULL) {
		lvc_probe_kill(c);
		lvc_failed(c, strerror(errno));
		return;
	}
	log_debug("%s: %s: probe pid %d", __func__, c->uri, (int)pid);
}

static void
lvc_connect(struct libvirt_conn *c)
{
	if (c->vc != NULL || c->probe_pid > 0)
		return;
	if (c->local)
		lvc_open(c);
	else
		lvc_probe(c);
}

/* Whether URI names this host: no host part, and no transport but unix. */
static int
lvc_uri_local(const char *uri)
{
	const char *colon = strstr(uri, "://"), *plus = strchr(uri, '+');

	if (colon == NULL)
		return 1;	/* a driver name only ("qemu:"), libvirt decides */
	if (plus != NULL && plus < colon && (colon - plus - 1 != 4 ||
	    strncmp(plus + 1, "unix", 4) != 0))
		return 0;
	return colon[3] == '/' || colon[3] == '\0';
}

/* The connection to URI, shared: a new reference. */
struct libvirt_conn *
libvirt_conn_get(const char *uri)
{
	struct libvirt_conn *c;

	if (libvirt_loop_get() == NULL) {
		errno = ENXIO;
		return NULL;
	}
	for (c = lvc_all; c != NULL; c = c->next)
		if (strcmp(c->uri, uri) == 0) {
			c->refs++;
			return c;
		}
	if (!lvc_initialized) {
		if (virInitialize() == -1) {
			errno = ENXIO;
			return NULL;
		}
		virSetErrorFunc(NULL, lvc_silent);
		xmlInitParser();
		lvc_initialized = 1;
	}
	if ((c = calloc(1, sizeof *c)) == NULL || (c->uri = strdup(uri)) == NULL ||
	    (c->by_name = hash_new()) == NULL || (c->by_uuid = hash_new()) == NULL) {
		if (c != NULL) {
			hash_free(c->by_name);
			free(c->uri);
		}
		free(c);
		return NULL;
	}
	c->refs = 1;
	c->local = lvc_uri_local(uri);
	c->probe_fd = -1;
	c->cb_ids[0] = c->cb_ids[1] = c->cb_ids[2] = -1;
	c->backoff_ms = LVC_BACKOFF_MIN_MS;
	c->next = lvc_all;
	lvc_all = c;
	lvc_connect(c);
	return c;
}

/* Drop a reference; the last one closes the connection. */
void
libvirt_conn_put(struct libvirt_conn *c)
{
	struct libvirt_conn **cp;
	struct libvirt_conn_domain *d;
	struct libvirt_conn_listener *l;

	if (c == NULL || --c->refs > 0)
		return;
	c->closing = 1;
	c->refs = 1;	/* while telling listeners */
	lvc_probe_kill(c);
	if (c->retry != NULL)
		loop_del_timer(libvirt_loop_get(), c->retry);
	c->retry = NULL;
	lvc_teardown(c, "closing");
	for (cp = &lvc_all; *cp != NULL; cp = &(*cp)->next)
		if (*cp == c) {
			*cp = c->next;
			break;
		}
	while ((d = c->domains) != NULL) {
		c->domains = d->next;
		lvc_domain_free(d);
	}
	hash_free(c->by_name);
	hash_free(c->by_uuid);
	while ((l = c->listeners) != NULL) {
		c->listeners = l->next;
		free(l);
	}
	free(c->uri);
	free(c);
}

/* Tell FN about C's events. */
struct libvirt_conn_listener *
libvirt_conn_listen(struct libvirt_conn *c, libvirt_conn_fn *fn, void *arg)
{
	struct libvirt_conn_listener *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->conn = c;
	l->fn = fn;
	l->arg = arg;
	l->next = c->listeners;
	c->listeners = l;
	return l;
}

/* Stop telling. */
void
libvirt_conn_unlisten(struct libvirt_conn_listener *l)
{
	struct libvirt_conn_listener **lp;
	struct libvirt_conn *c;

	if (l == NULL)
		return;
	c = l->conn;
	if (c->notifying > 0) {
		l->dead = 1;
		return;
	}
	for (lp = &c->listeners; *lp != NULL; lp = &(*lp)->next)
		if (*lp == l) {
			*lp = l->next;
			break;
		}
	free(l);
}

const char *
libvirt_conn_uri(const struct libvirt_conn *c)
{
	return c->uri;
}

int
libvirt_conn_local(const struct libvirt_conn *c)
{
	return c->local;
}

virConnectPtr
libvirt_conn_ptr(const struct libvirt_conn *c)
{
	return c->up ? c->vc : NULL;
}

struct libvirt_conn_domain *
libvirt_conn_domain_first(const struct libvirt_conn *c)
{
	return c->domains;
}

struct libvirt_conn_domain *
libvirt_conn_domain_next(const struct libvirt_conn_domain *d)
{
	return d->next;
}

struct libvirt_conn_domain *
libvirt_conn_domain_find(const struct libvirt_conn *c, const char *name)
{
	return hash_get(c->by_name, name);
}

const char *
libvirt_conn_domain_name(const struct libvirt_conn_domain *d)
{
	return d->name;
}

const unsigned char *
libvirt_conn_domain_uuid(const struct libvirt_conn_domain *d)
{
	return d->uuid;
}

int
libvirt_conn_domain_active(const struct libvirt_conn_domain *d)
{
	return d->active && d->conn->up;
}

unsigned int
libvirt_conn_domain_runs(const struct libvirt_conn_domain *d)
{
	return d->runs;
}

size_t
libvirt_conn_domain_ndevs(const struct libvirt_conn_domain *d)
{
	return d->ndevs;
}

const char *
libvirt_conn_domain_dev_alias(const struct libvirt_conn_domain *d, size_t i)
{
	return d->aliases[i];
}

const char *
libvirt_conn_domain_dev_pty(const struct libvirt_conn_domain *d, size_t i)
{
	return d->active ? d->ptys[i] : NULL;
}

int
libvirt_conn_domain_dev_find(const struct libvirt_conn_domain *d, const char *alias)
{
	for (size_t i = 0; i < d->ndevs; i++)
		if (strcmp(d->aliases[i], alias) == 0)
			return (int)i;
	return -1;
}
