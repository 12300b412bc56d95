# Глубина реферальной программы — часть схемы комиссии (billing.split, billing.commission).
commission-level-pct = L{ $level } { $pct } %
commission-no-levels = без реферальных уровней
commission-too-many-levels = Уровней { $levels }, а можно не больше { $most }: пришлите долю платформы, автора и не больше { $most } долей уровней.

# Одна часть строки месяца в кабинете партнёра: столько уровней, сколько у партнёра начислений.
partner-month-level = уровень { $level } — { $amount }
