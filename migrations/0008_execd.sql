CREATE TABLE "execd_commands" (
	"id" text PRIMARY KEY NOT NULL,
	"sandbox_id" text NOT NULL,
	"command" text NOT NULL,
	"kind" text NOT NULL,
	"exec_id" text,
	"host_pid" integer DEFAULT 0 NOT NULL,
	"log_path" text,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"exit_code" integer,
	"error" text,
	"deadline_at" timestamp with time zone,
	"killed_by_berth" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "execd_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"sandbox_id" text NOT NULL,
	"cwd" text,
	"env" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "execd_commands_sandbox_idx" ON "execd_commands" USING btree ("sandbox_id");--> statement-breakpoint
CREATE INDEX "execd_commands_deadline_idx" ON "execd_commands" USING btree ("deadline_at");