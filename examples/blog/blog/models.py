"""Posts by users, tags (many-to-many) and threaded comments (self-reference)."""

from enum import IntEnum

from tortoise import fields
from tortoise.models import Model


class Status(IntEnum):
    DRAFT = 0
    PUBLISHED = 1
    ARCHIVED = 2


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    class Meta:
        table = "blog_tag"


class Post(Model):
    id = fields.IntField(primary_key=True)
    author: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "users.User", related_name="posts", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=200, unique=True)
    body = fields.TextField()
    status = fields.IntEnumField(Status, default=Status.DRAFT)
    views = fields.IntField(default=0)
    rating = fields.FloatField(null=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    metadata = fields.JSONField(null=True)
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "blog.Tag", related_name="posts", through="blog_post_tags"
    )

    class Meta:
        table = "blog_post"
        indexes = (("status", "published_at"),)


class Comment(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "blog.Post", related_name="comments", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "users.User", related_name="comments", null=True, on_delete=fields.SET_NULL
    )
    parent: fields.ForeignKeyNullableRelation["Comment"] = fields.ForeignKeyField(
        "blog.Comment", related_name="replies", null=True, on_delete=fields.CASCADE
    )
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blog_comment"
