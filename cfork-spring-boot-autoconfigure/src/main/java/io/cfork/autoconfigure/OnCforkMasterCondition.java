package io.cfork.autoconfigure;

import io.cfork.WorkerEnvironment;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches unless the application was itself started as a worker ({@code CFORK_MASTER_PID} is
 * set): the same application can be master and worker, and a worker never forks.
 */
class OnCforkMasterCondition extends SpringBootCondition {

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		ConditionMessage.Builder message = ConditionMessage.forCondition("cfork master");
		String masterPid = context.getEnvironment().getProperty(WorkerEnvironment.MASTER_PID);
		if (masterPid != null) {
			return ConditionOutcome
				.noMatch(message.because("started as a worker of master pid " + masterPid + " ("
						+ WorkerEnvironment.MASTER_PID + " is set)"));
		}
		return ConditionOutcome.match(message.because(WorkerEnvironment.MASTER_PID + " is not set"));
	}

}
