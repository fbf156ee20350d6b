"""The caller's practice, its locations and users. A key sees only its own practice."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from gateway.admin import practices as svc
from gateway.admin.audit import audit
from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId
from gateway.api.practices.schemas import (
    KeyOut,
    LocationIn,
    LocationOut,
    PracticeOut,
    PracticeUpdate,
    UserIn,
    UserOut,
)
from gateway.core.errors import NotFound
from gateway.core.practice_settings import decode_settings, encode_settings
from gateway.db.models import Location, Practice, User
from gateway.db.scoped import get_scoped


def _practice_out(p: Practice) -> PracticeOut:
    return PracticeOut(id=p.id, name=p.name, settings=encode_settings(decode_settings(p.settings)))


class PracticeController(Controller):
    path = "/api/practices"
    tags = ["practices"]
    guards = [requires("admin")]

    @get("/")
    async def list_practices(self, db: DB, principal: Me) -> list[PracticeOut]:
        """The practices this key may see: its own."""
        return [_practice_out(await svc.get_practice(db, principal.practice_id))]

    @get("/{practice_id:int}")
    async def show(self, practice_id: PathId, db: DB, principal: Me) -> PracticeOut:
        """The key's own practice (any other id: 404)."""
        if practice_id != principal.practice_id:
            raise NotFound(f"no practice {practice_id}")
        return _practice_out(await svc.get_practice(db, practice_id))

    @patch("/{practice_id:int}")
    async def update(
        self, practice_id: PathId, data: JSONBody[PracticeUpdate], db: DB, principal: Me
    ) -> PracticeOut:
        """Rename the practice or change settings (only the keys given change)."""
        if practice_id != principal.practice_id:
            raise NotFound(f"no practice {practice_id}")
        practice = await svc.get_practice(db, practice_id)
        if data.name is not None:
            practice.name = data.name
        if data.settings is not None:
            await svc.update_settings(db, practice_id, data.settings)
        await audit(db, practice_id=practice_id, actor=principal.actor, user_id=principal.user_id,
                    action="practice.update", object_type="practice", object_id=practice_id,
                    detail={"fields": sorted((data.settings or {}).keys())})
        await db.flush()
        return _practice_out(practice)


class LocationController(Controller):
    path = "/api/locations"
    tags = ["locations"]

    @get("/", guards=[requires("viewer")])
    async def list_locations(self, db: DB, principal: Me,
                             page: Paging) -> OffsetPagination[LocationOut]:
        """The practice's locations."""
        rows, total = await page.of_practice(db, Location, principal.practice_id)
        return page.of([LocationOut(id=r.id, name=r.name, code=r.code) for r in rows], total)

    @post("/", guards=[requires("admin")])
    async def create(self, data: JSONBody[LocationIn], db: DB, principal: Me) -> LocationOut:
        """Add a location (name and code unique in the practice)."""
        loc_id = await svc.create_location(db, principal.practice_id, data.name, data.code)
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="location.create", object_type="location",
                    object_id=loc_id)
        return LocationOut(id=loc_id, name=data.name, code=data.code)

    @get("/{location_id:int}", guards=[requires("viewer")])
    async def show(self, location_id: PathId, db: DB, principal: Me) -> LocationOut:
        """One location of the practice."""
        loc = await svc.get_location(db, principal.practice_id, location_id)
        return LocationOut(id=loc.id, name=loc.name, code=loc.code)


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [requires("admin")]

    @get("/")
    async def list_users(self, db: DB, principal: Me, page: Paging) -> OffsetPagination[UserOut]:
        """The practice's users."""
        rows, total = await page.of_practice(db, User, principal.practice_id)
        return page.of([_user_out(u) for u in rows], total)

    @post("/")
    async def create(self, data: JSONBody[UserIn], db: DB, principal: Me) -> UserOut:
        """Add a user with a role (viewer, biller or admin)."""
        user_id = await svc.create_user(db, principal.practice_id, data.email, data.role, data.name)
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="user.create", object_type="user",
                    object_id=user_id)
        user = await db.get(User, user_id)
        assert user is not None
        return _user_out(user)

    @post("/{user_id:int}/keys")
    async def create_key(self, user_id: PathId, db: DB, principal: Me) -> KeyOut:
        """A new API key for a user of this practice; the key is in this response only."""
        user = await get_scoped(db, User, principal.practice_id, user_id, what="user")
        token = await svc.create_key(db, principal.practice_id, user.email, user.role)
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="key.create", object_type="user",
                    object_id=user_id)
        return KeyOut(key=token, user_id=user_id)


def _user_out(u: User) -> UserOut:
    return UserOut(id=u.id, email=u.email, name=u.name, role=u.role, active=u.active,
                   created_at=u.created_at)


ROUTES = [PracticeController, LocationController, UserController]
