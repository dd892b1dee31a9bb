# The what-if's reference values: R's glm, MASS::polr and survey::svyglm predictions on
# changed data (g-computation by hand). Run by hand from this folder:
#   Rscript make.R
# It writes survey.csv (600 complete respondents of the bundled example, four drivers and
# a weight) and expected.csv, which tests/cli.rs compares keydriver whatif against.
suppressMessages({ library(MASS); library(survey) })

ratings <- read.csv("../../../notebooks-data/ratings.csv")
answers <- read.csv("../../../notebooks-data/nps.csv")
d <- merge(ratings, answers, by = "respondent_id", sort = FALSE)
d <- d[order(d$respondent_id), ]
drivers <- c("wait_time", "quality", "problem_solving", "transparency")
keep <- complete.cases(d[, c(drivers, "likelihood_to_recommend")]) &
  apply(d[, drivers] != 99, 1, all)
d <- head(d[keep, c("respondent_id", drivers, "likelihood_to_recommend")], 600)
names(d)[names(d) == "likelihood_to_recommend"] <- "ltr"
d$weight <- 0.5 + (seq_len(nrow(d)) %% 7) / 4
write.csv(d, "survey.csv", row.names = FALSE, quote = FALSE)

f <- as.formula(paste("~", paste(drivers, collapse = " + ")))
d$promoter <- as.numeric(d$ltr >= 9)
d$detractor <- as.numeric(d$ltr <= 6)
nps_of <- function(p) 100 * (p$promoter - p$detractor)

scenarios <- list(
  "wait_time+1" = function(x) { x$wait_time <- pmin(x$wait_time + 1, 10); x },
  "problem_solving+1" = function(x) { x$problem_solving <- pmin(x$problem_solving + 1, 10); x },
  "wait_time>=7" = function(x) { x$wait_time <- pmax(x$wait_time, 7); x },
  "wait_time+1,quality+1" = function(x) {
    x$wait_time <- pmin(x$wait_time + 1, 10); x$quality <- pmin(x$quality + 1, 10); x
  }
)

tight <- glm.control(epsilon = 1e-14, maxit = 100)

# Each respondent's expected coded answer (−100 detractor, 0 passive, +100 promoter).
logits <- function(w) {
  if (is.null(w)) {
    fp <- glm(update(f, promoter ~ .), binomial, d, control = tight)
    fd <- glm(update(f, detractor ~ .), binomial, d, control = tight)
  } else {
    design <- svydesign(ids = ~1, weights = ~weight, data = d)
    fp <- svyglm(update(f, promoter ~ .), design, family = quasibinomial(), control = tight)
    fd <- svyglm(update(f, detractor ~ .), design, family = quasibinomial(), control = tight)
  }
  function(x) 100 * (predict(fp, x, type = "response") - predict(fd, x, type = "response"))
}
ordinal <- function(w) {
  d$answer <- factor(d$ltr)
  # (polr's starting values come from a glm that warns about non-whole weights.)
  fit <- suppressWarnings(polr(update(f, answer ~ .), d, weights = w, method = "logistic",
                               control = list(reltol = 1e-14, maxit = 10000)))
  codes <- ifelse(as.numeric(levels(d$answer)) >= 9, 100, ifelse(as.numeric(levels(d$answer)) <= 6, -100, 0))
  function(x) as.vector(predict(fit, x, type = "probs") %*% codes)
}
linear <- function(w) {
  d$coded <- ifelse(d$ltr >= 9, 100, ifelse(d$ltr <= 6, -100, 0))
  fit <- lm(update(f, coded ~ .), d, weights = w)
  function(x) predict(fit, x)
}

rows <- list()
for (model in c("logits", "ordinal", "linear")) {
  for (weighted in c(FALSE, TRUE)) {
    w <- if (weighted) d$weight else NULL
    ww <- if (weighted) d$weight else rep(1, nrow(d))
    predict_of <- get(model)(w)
    base <- predict_of(d)
    observed <- weighted.mean(ifelse(d$ltr >= 9, 100, ifelse(d$ltr <= 6, -100, 0)), ww)
    for (s in names(scenarios)) {
      changed <- scenarios[[s]](d)
      moved <- apply(changed[, drivers] != d[, drivers], 1, any)
      rows[[length(rows) + 1]] <- data.frame(
        model = model, weighted = weighted, scenario = s,
        change = weighted.mean(predict_of(changed) - base, ww),
        moved_share = weighted.mean(moved, ww),
        observed = observed, predicted = weighted.mean(base, ww))
    }
  }
}
write.csv(do.call(rbind, rows), "expected.csv", row.names = FALSE)
