CREATE TABLE "pool_slots" (
	"id" text PRIMARY KEY NOT NULL,
	"pool_name" text NOT NULL,
	"generation" integer NOT NULL,
	"state" text NOT NULL,
	"host_id" text NOT NULL,
	"container_name" text NOT NULL,
	"container_id" text,
	"ports" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"ready_at" timestamp with time zone,
	"lease_owner" text,
	"lease_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "pools" (
	"name" text PRIMARY KEY NOT NULL,
	"image" text NOT NULL,
	"entrypoint" jsonb NOT NULL,
	"env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resource_limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"platform" jsonb,
	"idle_target" integer NOT NULL,
	"max_sandboxes" integer,
	"max_idle_seconds" integer,
	"generation" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sandboxes" ADD COLUMN "pool_name" text;--> statement-breakpoint
CREATE INDEX "pool_slots_claim_idx" ON "pool_slots" USING btree ("pool_name","host_id","ready_at") WHERE "pool_slots"."state" = 'idle';--> statement-breakpoint
CREATE INDEX "sandboxes_pool_idx" ON "sandboxes" USING btree ("pool_name") WHERE "sandboxes"."pool_name" is not null and "sandboxes"."deleted_at" is null;