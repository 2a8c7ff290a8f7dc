/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tree behind the host's sysfs and debugfs views (kernfs.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernfs.h"
#include "../util/fault_inject.h"
#include "../util/slab.h"

/* Added to `active` when a node is removed: the count stays negative
 * from then on, so no new show/store starts, and reaches exactly the
 * bias when the last one in progress ends. */
#define KN_DEACTIVATED_BIAS (INT_MIN / 2)
#define KN_MAX_LINKS 40

struct kernfs_root {
	pthread_rwlock_t lock;        /* the tree's shape (kernfs.h) */
	pthread_mutex_t drain_lock;   /* with `drained`: removal waiting for active refs */
	pthread_cond_t drained;
	uint64_t next_ino;            /* under lock (exclusive) */
	struct kernfs_node *node;
};

/* ---- references ---- */

void kernfs_get(struct kernfs_node *kn)
{
	if (kn)
		atomic_fetch_add_explicit(&kn->count, 1, memory_order_relaxed);
}

static void node_free(struct kernfs_node *kn)
{
	free(kn->name);
	free(kn);
}

void kernfs_put(struct kernfs_node *kn)
{
	/* Iterative: a node's last reference drops its parent's. */
	while (kn && atomic_fetch_sub_explicit(&kn->count, 1, memory_order_acq_rel) == 1) {
		struct kernfs_node *parent = kn->parent, *target = kn->target;
		node_free(kn);
		kernfs_put(target);
		kn = parent;
	}
}

bool kernfs_removed(struct kernfs_node *kn)
{
	return atomic_load_explicit(&kn->active, memory_order_acquire) < 0;
}

static bool get_active(struct kernfs_node *kn)
{
	if (atomic_fetch_add_explicit(&kn->active, 1, memory_order_acquire) >= 0)
		return true;
	/* Removed: undo, and wake a remover if ours was the last count. */
	if (atomic_fetch_sub_explicit(&kn->active, 1, memory_order_release) - 1 ==
	    KN_DEACTIVATED_BIAS) {
		pthread_mutex_lock(&kn->root->drain_lock);
		pthread_cond_broadcast(&kn->root->drained);
		pthread_mutex_unlock(&kn->root->drain_lock);
	}
	return false;
}

static void put_active(struct kernfs_node *kn)
{
	if (atomic_fetch_sub_explicit(&kn->active, 1, memory_order_release) - 1 !=
	    KN_DEACTIVATED_BIAS)
		return;
	pthread_mutex_lock(&kn->root->drain_lock);
	pthread_cond_broadcast(&kn->root->drained);
	pthread_mutex_unlock(&kn->root->drain_lock);
}

void kernfs_break_active_protection(struct kernfs_node *kn)
{
	put_active(kn);
}

void kernfs_unbreak_active_protection(struct kernfs_node *kn)
{
	/* Unconditionally, so the caller's final put stays balanced even
	 * when the node was removed meanwhile. */
	atomic_fetch_add_explicit(&kn->active, 1, memory_order_acquire);
}

static void drain(struct kernfs_node *kn)
{
	pthread_mutex_lock(&kn->root->drain_lock);
	while (atomic_load_explicit(&kn->active, memory_order_acquire) != KN_DEACTIVATED_BIAS)
		pthread_cond_wait(&kn->root->drained, &kn->root->drain_lock);
	pthread_mutex_unlock(&kn->root->drain_lock);
}

/* ---- the root ---- */

static struct kernfs_node *node_new(struct kernfs_root *r, const char *name,
				    enum kernfs_type type, unsigned mode)
{
	struct kernfs_node *kn = kcalloc(1, sizeof(*kn));
	if (!kn || !(kn->name = kstrdup(name))) {
		free(kn);
		return NULL;
	}
	atomic_init(&kn->count, 1);
	atomic_init(&kn->active, 0);
	kn->type = type;
	kn->mode = mode;
	kn->root = r;
	list_init(&kn->sibling);
	list_init(&kn->children);
	return kn;
}

struct kernfs_root *kernfs_create_root(void)
{
	struct kernfs_root *r = kcalloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->node = node_new(r, "", KERNFS_DIR, 0755);
	if (!r->node) {
		free(r);
		return NULL;
	}
	r->node->flags = KERNFS_DIR_PASSTHROUGH;
	r->node->ino = r->next_ino = 1;
	pthread_rwlock_init(&r->lock, NULL);
	pthread_mutex_init(&r->drain_lock, NULL);
	pthread_cond_init(&r->drained, NULL);
	return r;
}

struct kernfs_node *kernfs_root_node(struct kernfs_root *r)
{
	return r->node;
}

/* ---- adding ---- */

static bool name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	return len && len <= NAME_MAX && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/* Under the lock: the child, or NULL. */
static struct kernfs_node *find_locked(struct kernfs_node *dir, const char *name)
{
	struct kernfs_node *c;
	list_for_each_entry(c, &dir->children, sibling) {
		int d = strcmp(c->name, name);
		if (!d)
			return c;
		if (d > 0)
			break;
	}
	return NULL;
}

/* Link a new node under parent; the tree takes the new node's reference. */
static int add(struct kernfs_node *parent, struct kernfs_node *kn, struct kernfs_node **out)
{
	struct kernfs_root *r = parent->root;
	int rc = 0;
	pthread_rwlock_wrlock(&r->lock);
	if (parent->type != KERNFS_DIR) {
		rc = -ENOTDIR;
	} else if (kernfs_removed(parent)) {
		rc = -ENOENT;
	} else if (find_locked(parent, kn->name)) {
		rc = -EEXIST;
	} else {
		struct kernfs_node *at;
		list_for_each_entry(at, &parent->children, sibling)
			if (strcmp(at->name, kn->name) > 0)
				break;
		list_add_tail(&kn->sibling, &at->sibling);
		kernfs_get(parent);
		kn->parent = parent;
		kn->ino = ++r->next_ino;
	}
	pthread_rwlock_unlock(&r->lock);
	if (rc) {
		kernfs_put(kn);
		return rc;
	}
	if (out)
		*out = kn;
	return 0;
}

int kernfs_create_dir(struct kernfs_node *parent, const char *name, unsigned mode,
		      unsigned flags, void *priv, struct kernfs_node **out)
{
	if (!parent || !name_ok(name))
		return -EINVAL;
	struct kernfs_node *kn = node_new(parent->root, name, KERNFS_DIR, mode & 07777);
	if (!kn)
		return -ENOMEM;
	kn->flags = flags;
	kn->priv = priv;
	return add(parent, kn, out);
}

int kernfs_create_file(struct kernfs_node *parent, const char *name, unsigned mode,
		       const struct kernfs_ops *ops, void *priv, struct kernfs_node **out)
{
	if (!parent || !name_ok(name) || !ops)
		return -EINVAL;
	struct kernfs_node *kn = node_new(parent->root, name, KERNFS_FILE, mode & 07777);
	if (!kn)
		return -ENOMEM;
	kn->ops = ops;
	kn->priv = priv;
	return add(parent, kn, out);
}

int kernfs_create_link(struct kernfs_node *parent, const char *name,
		       struct kernfs_node *target, struct kernfs_node **out)
{
	if (!parent || !name_ok(name) || !target || target->root != parent->root)
		return -EINVAL;
	struct kernfs_node *kn = node_new(parent->root, name, KERNFS_LINK, 0777);
	if (!kn)
		return -ENOMEM;
	kernfs_get(target);
	kn->target = target;
	return add(parent, kn, out);
}

int kernfs_ensure_dir(struct kernfs_node *parent, const char *name, unsigned mode,
		      unsigned flags, struct kernfs_node **out)
{
	int rc = kernfs_create_dir(parent, name, mode, flags, NULL, out);
	if (rc != -EEXIST)
		return rc;
	struct kernfs_node *kn = kernfs_find_and_get(parent, name);
	if (!kn)
		return -ENOENT;
	bool dir = kn->type == KERNFS_DIR;
	/* The tree keeps it; the caller borrows it as from a create. */
	kernfs_put(kn);
	if (!dir)
		return -EEXIST;
	if (out)
		*out = kn;
	return 0;
}

struct kernfs_node *kernfs_find_and_get(struct kernfs_node *dir, const char *name)
{
	if (!dir || !name)
		return NULL;
	pthread_rwlock_rdlock(&dir->root->lock);
	struct kernfs_node *kn = dir->type == KERNFS_DIR ? find_locked(dir, name) : NULL;
	kernfs_get(kn);
	pthread_rwlock_unlock(&dir->root->lock);
	return kn;
}

/* ---- removing ---- */

/* Under the lock (exclusive): unlink the subtree into `gone`, deepest
 * first, marking every node removed. */
static void unlink_subtree(struct kernfs_node *kn, struct list_node *gone)
{
	struct kernfs_node *c, *t;
	list_for_each_entry_safe(c, t, &kn->children, sibling)
		unlink_subtree(c, gone);
	list_del(&kn->sibling);
	atomic_fetch_add_explicit(&kn->active, KN_DEACTIVATED_BIAS, memory_order_acq_rel);
	list_add_tail(&kn->sibling, gone);
}

void kernfs_remove(struct kernfs_node *kn)
{
	if (!kn)
		return;
	struct kernfs_root *r = kn->root;
	struct list_node gone = LIST_HEAD_INIT(gone);
	pthread_rwlock_wrlock(&r->lock);
	/* A node already removed (a racing remover) is left to that one. */
	if (!kernfs_removed(kn) && kn != r->node)
		unlink_subtree(kn, &gone);
	pthread_rwlock_unlock(&r->lock);
	struct kernfs_node *c, *t;
	list_for_each_entry_safe(c, t, &gone, sibling) {
		drain(c);
		list_del(&c->sibling);
		kernfs_put(c); /* the tree's reference */
	}
}

int kernfs_remove_by_name(struct kernfs_node *parent, const char *name)
{
	struct kernfs_node *kn = kernfs_find_and_get(parent, name);
	if (!kn)
		return -ENOENT;
	kernfs_remove(kn);
	kernfs_put(kn);
	return 0;
}

void kernfs_destroy_root(struct kernfs_root *r)
{
	if (!r)
		return;
	struct list_node gone = LIST_HEAD_INIT(gone);
	pthread_rwlock_wrlock(&r->lock);
	struct kernfs_node *c, *t;
	list_for_each_entry_safe(c, t, &r->node->children, sibling)
		unlink_subtree(c, &gone);
	pthread_rwlock_unlock(&r->lock);
	list_for_each_entry_safe(c, t, &gone, sibling) {
		drain(c);
		list_del(&c->sibling);
		kernfs_put(c);
	}
	kernfs_put(r->node);
	pthread_rwlock_destroy(&r->lock);
	pthread_mutex_destroy(&r->drain_lock);
	pthread_cond_destroy(&r->drained);
	free(r);
}

/* ---- paths ---- */

/* Under the lock: the path of a node still in the tree. */
static int path_locked(struct kernfs_node *kn, char *buf, size_t size)
{
	if (kernfs_removed(kn))
		return -ENOENT;
	if (!kn->parent) {
		if (size < 2)
			return -ENAMETOOLONG;
		strcpy(buf, "/");
		return 1;
	}
	size_t len = 0;
	for (struct kernfs_node *p = kn; p->parent; p = p->parent)
		len += 1 + strlen(p->name);
	if (len + 1 > size)
		return -ENAMETOOLONG;
	buf[len] = 0;
	size_t at = len;
	for (struct kernfs_node *p = kn; p->parent; p = p->parent) {
		size_t n = strlen(p->name);
		at -= n;
		memcpy(buf + at, p->name, n);
		buf[--at] = '/';
	}
	return (int)len;
}

int kernfs_path(struct kernfs_node *kn, char *buf, size_t size)
{
	pthread_rwlock_rdlock(&kn->root->lock);
	int rc = path_locked(kn, buf, size);
	pthread_rwlock_unlock(&kn->root->lock);
	return rc;
}

static unsigned depth(const struct kernfs_node *kn)
{
	unsigned d = 0;
	for (; kn->parent; kn = kn->parent)
		d++;
	return d;
}

int kernfs_readlink(struct kernfs_node *kn, char *buf, size_t size)
{
	if (kn->type != KERNFS_LINK)
		return -EINVAL;
	pthread_rwlock_rdlock(&kn->root->lock);
	int rc = -ENOENT;
	struct kernfs_node *from = kn->parent, *to = kn->target;
	if (!from || kernfs_removed(kn) || kernfs_removed(to))
		goto out;
	/* Up from the link's directory to the common ancestor, then down. */
	struct kernfs_node *a = from, *b = to;
	unsigned da = depth(a), db = depth(b), ups = 0;
	for (; da > db; da--, ups++)
		a = a->parent;
	for (; db > da; db--)
		b = b->parent;
	for (; a != b; a = a->parent, b = b->parent)
		ups++;
	size_t at = 0;
	rc = -ENAMETOOLONG;
	for (unsigned i = 0; i < ups; i++) {
		if (at + 3 >= size)
			goto out;
		memcpy(buf + at, "../", 3);
		at += 3;
	}
	char tail[PATH_MAX];
	int base = b->parent ? path_locked(b, tail, sizeof(tail)) : 0;
	int full = path_locked(to, tail, sizeof(tail));
	if (base < 0 || full < 0)
		goto out;
	const char *rel = full > base ? tail + base + 1 : "";
	size_t n = strlen(rel);
	if (at + n + 1 > size)
		goto out;
	memcpy(buf + at, rel, n + 1);
	at += n;
	if (at && buf[at - 1] == '/')
		buf[--at] = 0;
	rc = (int)at;
out:
	pthread_rwlock_unlock(&kn->root->lock);
	return rc;
}

/* ---- walking ---- */

struct walker {
	struct kernfs_node *cur;
	unsigned links;
};

/* Step into `name` from w->cur (a directory): 0, KERNFS_WALK_PASS (real
 * path written), or -errno. `last`: the final component. */
static int step(struct walker *w, const char *name, const char *rest, bool last, bool follow,
		struct kernfs_walk *out)
{
	if (!strcmp(name, "."))
		return 0;
	if (!strcmp(name, "..")) {
		if (w->cur->parent)
			w->cur = w->cur->parent;
		return 0;
	}
	struct kernfs_node *c = find_locked(w->cur, name);
	if (!c) {
		if (!(w->cur->flags & KERNFS_DIR_PASSTHROUGH))
			return -ENOENT;
		char dir[PATH_MAX];
		int n = path_locked(w->cur, dir, sizeof(dir));
		if (n < 0)
			return n;
		int len = snprintf(out->real, sizeof(out->real), "%s%s%s%s%s", dir,
				   n > 1 ? "/" : "", name, rest ? "/" : "", rest ? rest : "");
		return len >= (int)sizeof(out->real) ? -ENAMETOOLONG : KERNFS_WALK_PASS;
	}
	while (c->type == KERNFS_LINK && (!last || follow)) {
		if (++w->links > KN_MAX_LINKS)
			return -ELOOP;
		c = c->target;
		if (kernfs_removed(c))
			return -ENOENT;
	}
	w->cur = c;
	return 0;
}

int kernfs_walk(struct kernfs_root *r, struct kernfs_node *base, const char *path,
		unsigned flags, struct kernfs_walk *out)
{
	if (!path)
		return -EINVAL;
	size_t len = strlen(path);
	if (!len)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	char buf[PATH_MAX];
	memcpy(buf, path, len + 1);
	bool want_dir = buf[len - 1] == '/';

	pthread_rwlock_rdlock(&r->lock);
	struct walker w = { .cur = (buf[0] == '/' || !base) ? r->node : base };
	int rc = kernfs_removed(w.cur) ? -ENOENT : 0;
	char *save = NULL, *name = strtok_r(buf, "/", &save);
	while (!rc && name) {
		if (w.cur->type != KERNFS_DIR) {
			rc = -ENOTDIR;
			break;
		}
		if (strlen(name) > NAME_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		/* What follows this component, for a passthrough. */
		char *rest = save && *save ? save : NULL;
		while (rest && *rest == '/')
			rest++;
		if (rest && !*rest)
			rest = NULL;
		char *next = strtok_r(NULL, "/", &save);
		bool last = !next;
		rc = step(&w, name, rest ? path + (rest - buf) : NULL, last,
			  want_dir || !(flags & KERNFS_WALK_NOFOLLOW), out);
		name = next;
	}
	if (!rc && want_dir && w.cur->type != KERNFS_DIR)
		rc = -ENOTDIR;
	if (!rc) {
		kernfs_get(w.cur);
		out->kn = w.cur;
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

/* ---- listing ---- */

void kernfs_dirents_free(struct kernfs_dirent *d, int n)
{
	for (int i = 0; i < n; i++)
		free(d[i].name);
	free(d);
}

int kernfs_list(struct kernfs_node *dir, struct kernfs_dirent **out)
{
	if (dir->type != KERNFS_DIR)
		return -ENOTDIR;
	pthread_rwlock_rdlock(&dir->root->lock);
	int rc = kernfs_removed(dir) ? -ENOENT : 0;
	size_t n = rc ? 0 : list_count(&dir->children);
	struct kernfs_dirent *d = rc ? NULL : kcalloc(n ? n : 1, sizeof(*d));
	if (!rc && !d)
		rc = -ENOMEM;
	int i = 0;
	struct kernfs_node *c;
	if (!rc) {
		list_for_each_entry(c, &dir->children, sibling) {
			if (!(d[i].name = kstrdup(c->name))) {
				rc = -ENOMEM;
				break;
			}
			d[i].type = c->type;
			d[i].ino = c->ino;
			i++;
		}
	}
	pthread_rwlock_unlock(&dir->root->lock);
	if (rc) {
		kernfs_dirents_free(d, i);
		return rc;
	}
	*out = d;
	return i;
}

/* ---- attributes ---- */

static int seq_read_all(struct kernfs_node *kn, char **data, size_t *len)
{
	/* seq_file's buffer, a failslab point like every allocation. */
	FILE *f = should_fail(&failslab) ? NULL : open_memstream(data, len); /* check-alloc: ok */
	if (!f)
		return -ENOMEM;
	int rc = kn->ops->seq_show(kn, f);
	if (fclose(f) && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

int kernfs_show(struct kernfs_node *kn, char **data, size_t *len)
{
	if (kn->type != KERNFS_FILE)
		return -EISDIR;
	if (!kn->ops->show && !kn->ops->seq_show)
		return -EIO;
	if (!get_active(kn))
		return -ENODEV;
	int rc;
	if (kn->ops->seq_show) {
		rc = seq_read_all(kn, data, len);
	} else {
		char *buf = kcalloc(1, KERNFS_ATTR_SIZE + 1);
		ssize_t n = buf ? kn->ops->show(kn, buf) : -ENOMEM;
		if (n > (ssize_t)KERNFS_ATTR_SIZE)
			n = KERNFS_ATTR_SIZE;
		rc = n < 0 ? (int)n : 0;
		if (rc) {
			free(buf);
		} else {
			buf[n] = 0;
			*data = buf;
			*len = (size_t)n;
		}
	}
	put_active(kn);
	return rc;
}

ssize_t kernfs_store(struct kernfs_node *kn, const char *buf, size_t count)
{
	if (kn->type != KERNFS_FILE)
		return -EISDIR;
	if (!get_active(kn))
		return -ENODEV;
	ssize_t rc = kn->ops->store ? kn->ops->store(kn, buf, count) : -EACCES;
	put_active(kn);
	return rc;
}
